// Describes the exec securebits this process runs under.
exports.describe = (names) => (names.length > 0
  ? `enforcing: ${names.join(', ')}`
  : 'permissive: no exec securebits set; every file is still checked (record with SECNODE_AUDIT=stderr)');

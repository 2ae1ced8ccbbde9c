// A CommonJS helper, loaded through the same check as the entry.
exports.greet = (name) => `hello, ${name}: every file here passed the kernel's exec check`;

// A plugin: the kiosk's clock.
export function run() {
  return new Date().toISOString();
}

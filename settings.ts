// Numeric settings from the environment, checked once: a value that is not a whole number in range stops the
// command with one line naming the setting, instead of a NaN that fails every request later.
export function wholeNumberSetting(name: string, fallback: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new Error(`${name} must be a whole number from 1 to ${max}, got "${text.slice(0, 40)}"`);
  }
  return Number(text);
}

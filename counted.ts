// "1 order", "3,043,483 orders": how every command counts things in what it prints.
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}

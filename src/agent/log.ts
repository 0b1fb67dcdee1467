/**
 * The agent's log: one line per message on the console, which the ephemeral environment sends to the
 * serial port, so a person watching a machine's console (or its captured log) can follow it.
 */
export type LogSink = (line: string) => void;

let sink: LogSink = (line) => process.stdout.write(`${line}\n`);

export function setLogSink(s: LogSink): void { sink = s; }

export function log(message: string): void {
  const stamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  for (const line of message.split('\n')) sink(`${stamp} plinth-agent: ${line}`);
}

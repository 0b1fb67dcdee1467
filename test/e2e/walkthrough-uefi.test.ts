/**
 * End-to-end (issue 8 §1): the operator's walkthrough on a UEFI (OVMF) lab machine, through the API only, on a
 * real Plinth (region + rack in this process) with images built by `plinth images build`. Slow under
 * software emulation; the step times are printed for the notes.
 */
import { describe, it } from 'node:test';
import { e2eSkipReason, ensureImages } from './harness.ts';
import { walkthrough, type StepTime } from './walkthrough.ts';

describe('end to end: the walkthrough (UEFI)', { skip: e2eSkipReason('more') }, () => {
  // The images first, on their own clock: a first build from scratch takes 6–30 min with the machine busy.
  it('images built (or cached)', { timeout: 60 * 60_000 }, async () => {
    const images = await ensureImages((line) => process.stderr.write(`  [images] ${line}\n`));
    process.stderr.write(`  images: ${JSON.stringify(images)}\n`);
  });
  it('enlist → commission → deploy → SSH → release with erase', { timeout: 60 * 60_000 }, async () => {
    const times: StepTime[] = [];
    await walkthrough('uefi', (t) => { times.push(t); process.stderr.write(`  ${t.seconds.toFixed(1).padStart(7)} s  ${t.step}\n`); });
    process.stderr.write(`  total ${times.reduce((a, t) => a + t.seconds, 0).toFixed(0)} s\n`);
  });
});

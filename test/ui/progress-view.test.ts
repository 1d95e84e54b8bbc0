import assert from 'node:assert/strict';
import { PlainProgress } from '../../src/ui/plain-progress.ts';
import { createProgressView } from '../../src/ui/progress-view.ts';
import { TaskList } from '../../src/ui/task-list.ts';
import { T0 } from './event-script.ts';
import { VirtualTerminal } from './virtual-terminal.ts';

describe('ui/progress-view', () => {
  it('draws a task list on a terminal and logs lines elsewhere', async () => {
    const terminal = new VirtualTerminal();
    const onTerminal = createProgressView(terminal, { env: {} });
    assert.ok(onTerminal instanceof TaskList);
    await onTerminal.stop();
    const written: string[] = [];
    const piped = createProgressView({ write: (text: string) => written.push(text) }, { env: {} });
    assert.ok(piped instanceof PlainProgress);
    assert.ok(createProgressView(terminal, { env: { TERM: 'dumb' } }) instanceof PlainProgress);
    // A pseudo-terminal allocated without a size cannot be drawn on.
    assert.ok(createProgressView(new VirtualTerminal({ columns: 0, rows: 0 }), { env: {} }) instanceof PlainProgress);
  });

  it('colours a terminal unless NO_COLOR or --no-color, and a pipe only with FORCE_COLOR', async () => {
    const cases: { tty: boolean; env: Record<string, string>; colorAllowed?: boolean; expected: boolean }[] = [
      { tty: true, env: {}, expected: true },
      { tty: true, env: { NO_COLOR: '1' }, expected: false },
      { tty: true, env: {}, colorAllowed: false, expected: false },
      { tty: false, env: {}, expected: false },
      { tty: false, env: { FORCE_COLOR: '1' }, expected: true },
    ];
    for (const { tty, env, colorAllowed, expected } of cases) {
      const terminal = new VirtualTerminal();
      if (!tty) terminal.isTTY = false;
      const view = createProgressView(terminal, { env, colorAllowed, now: () => T0 });
      view.emit({ type: 'warning', message: 'careful', atMs: T0 });
      await view.stop();
      assert.equal(terminal.raw.includes('\u001b[33m'), expected, `tty=${tty} env=${JSON.stringify(env)} colorAllowed=${colorAllowed}: ${JSON.stringify(terminal.raw)}`);
    }
  });
});

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ExitCode, InterruptedError, UsageError } from '../../src/errors.ts';
import { colors } from '../../src/ui/color.ts';
import { InquirerPrompter } from '../../src/ui/inquirer-prompter.ts';
import { until, VirtualTerminal } from './virtual-terminal.ts';

/** Keyboard input as a terminal delivers it. */
class FakeKeyboard extends PassThrough {
  isTTY = true;
  isRaw = false;
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    return this;
  }
}

const KEY = { enter: '\r', space: ' ', down: '\u001b[B', up: '\u001b[A', ctrlC: '\u0003' };

function setup(options: { colored?: boolean; signal?: AbortSignal; tty?: boolean } = {}) {
  const keyboard = new FakeKeyboard();
  const terminal = new VirtualTerminal({ columns: 120 });
  if (options.tty === false) keyboard.isTTY = false;
  const prompter = new InquirerPrompter({ input: keyboard, output: terminal, colors: colors(options.colored ?? false), signal: options.signal });
  /** Types keys once the prompt shows `text`. */
  const type = async (text: string, ...keys: string[]) => {
    await until(() => terminal.screen().includes(text), () => terminal.screen());
    for (const key of keys) keyboard.write(key);
  };
  return { keyboard, terminal, prompter, type };
}

const PODS = [
  { value: 'basic-tikv-0', name: 'basic-tikv-0  store 1  Up  120 leaders' },
  { value: 'basic-tikv-1', name: 'basic-tikv-1  store ?  no store  0 leaders', disabled: 'PD has no store for this pod' },
  { value: 'basic-tikv-2', name: 'basic-tikv-2  store 3  Up  300 leaders', description: 'the busiest store' },
];

describe('ui/inquirer-prompter', () => {
  it('asks for confirmation on its terminal and takes a yes', async () => {
    const { terminal, prompter, type } = setup();
    const answer = prompter.confirm('Restart 3 TiKV pods of basic, one at a time?', false);
    await type('Restart 3 TiKV pods', 'y', KEY.enter);
    assert.equal(await answer, true);
    assert.equal(terminal.screen(), '✔ Restart 3 TiKV pods of basic, one at a time? Yes');
  });

  it('takes the default answer on enter and shows which one it is', async () => {
    const { terminal, prompter, type } = setup();
    const answer = prompter.confirm('Upgrade 3 stores to v8.5.1?', false);
    await type('(y/N)', KEY.enter);
    assert.equal(await answer, false);
    assert.equal(terminal.screen(), '✔ Upgrade 3 stores to v8.5.1? No');
    const yes = prompter.confirm('Continue?', true);
    await type('Continue? (Y/n)', KEY.enter);
    assert.equal(await yes, true);
  });

  it('picks several pods with space and enter, stepping over one that cannot be chosen', async () => {
    const { terminal, prompter, type } = setup();
    const picked = prompter.checkbox('Which TiKV pods of basic should be restarted?', PODS);
    await type('Which TiKV pods', KEY.space, KEY.down, KEY.down);
    await type('the busiest store', KEY.space, KEY.enter);
    assert.deepEqual(await picked, ['basic-tikv-0', 'basic-tikv-2']);
    assert.match(terminal.screen(), /^✔ Which TiKV pods of basic should be restarted\? basic-tikv-0 {2}store 1/);
  });

  it('shows why a choice cannot be chosen', async () => {
    const { terminal, prompter, type, keyboard } = setup();
    const picked = prompter.checkbox('Which TiKV pods?', PODS);
    await type('Which TiKV pods?');
    assert.match(terminal.screen(), /basic-tikv-1 {2}store \? {2}no store {2}0 leaders \(PD has no store for this pod\)/);
    keyboard.write(KEY.space);
    keyboard.write(KEY.enter);
    assert.deepEqual(await picked, ['basic-tikv-0']);
  });

  it('requires at least one choice', async () => {
    const { terminal, prompter, type } = setup();
    const picked = prompter.checkbox('Which TiKV pods?', PODS);
    await type('Which TiKV pods?', KEY.enter);
    await until(() => /at least one/i.test(terminal.screen()), () => terminal.screen());
    await type('At least one choice must be selected', KEY.space, KEY.enter);
    assert.deepEqual(await picked, ['basic-tikv-0']);
  });

  it('turns Ctrl+C in a prompt into an interruption (exit 130)', async () => {
    const { prompter, type } = setup();
    const answer = prompter.confirm('Restart basic-tikv-1?', false);
    await type('Restart basic-tikv-1?', KEY.ctrlC);
    await assert.rejects(answer, (error: unknown) => {
      assert.ok(error instanceof InterruptedError);
      assert.equal(error.code, ExitCode.interrupted);
      assert.match(error.message, /interrupted at the prompt \(Ctrl\+C\)/);
      return true;
    });
  });

  it('ends a prompt the command interrupts (SIGTERM) with the interruption it carries', async () => {
    const controller = new AbortController();
    const { prompter, type } = setup({ signal: controller.signal });
    const picked = prompter.checkbox('Which TiKV pods?', PODS);
    await type('Which TiKV pods?');
    const reason = new InterruptedError('interrupted by SIGTERM; cleanup done');
    controller.abort(reason);
    await assert.rejects(picked, (error: unknown) => error === reason);
  });

  it('refuses to ask without a terminal instead of reading piped input as keystrokes', async () => {
    const { terminal, prompter } = setup({ tty: false });
    await assert.rejects(prompter.confirm('Restart basic-tikv-1?', false), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /no terminal to ask on/);
      assert.match(error.suggestions.join(' '), /--yes/);
      return true;
    });
    assert.equal(terminal.raw, '');
  });

  it('refuses a choice where nothing can be chosen, saying why', async () => {
    const { prompter } = setup();
    await assert.rejects(prompter.checkbox('Which TiKV pods?', [PODS[1]]), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.deepEqual(error.suggestions, ['basic-tikv-1  store ?  no store  0 leaders: PD has no store for this pod']);
      return true;
    });
  });

  it('draws colour only when the command decided the terminal takes it', async () => {
    for (const colored of [false, true]) {
      const { terminal, prompter, type } = setup({ colored });
      const picked = prompter.checkbox('Which TiKV pods?', PODS);
      await type('Which TiKV pods?', KEY.space, KEY.enter);
      await picked;
      const sgr = ['\u001b[31m', '\u001b[32m', '\u001b[33m', '\u001b[36m', '\u001b[1m', '\u001b[2m'].filter((code) => terminal.raw.includes(code));
      if (colored) assert.ok(sgr.includes('\u001b[32m') && sgr.includes('\u001b[36m'), `expected colours, saw ${JSON.stringify(sgr)}`);
      else assert.deepEqual(sgr, []);
    }
  });
});

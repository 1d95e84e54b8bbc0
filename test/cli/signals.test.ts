import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ownSignals } from '../../src/cli/signals.ts';
import { InterruptedError } from '../../src/errors.ts';

describe('signal ownership', () => {
  it('aborts the command on the first signal, and only reassures on later ones', () => {
    const source = new EventEmitter();
    const controller = new AbortController();
    let stderr = '';
    const release = ownSignals(controller, { write: (text: string) => (stderr += text) }, source);
    source.emit('SIGINT', 'SIGINT');
    assert.ok(controller.signal.aborted);
    assert.ok(controller.signal.reason instanceof InterruptedError);
    assert.equal(controller.signal.reason.code, 130);
    assert.equal(stderr, '\nInterrupted: stopping and cleaning up…\n');
    source.emit('SIGTERM', 'SIGTERM');
    source.emit('SIGINT', 'SIGINT');
    assert.equal(stderr, '\nInterrupted: stopping and cleaning up…\ncleaning up, please wait\ncleaning up, please wait\n');
    release();
    assert.equal(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM'), 0);
  });

  it('says Terminated for SIGTERM', () => {
    const source = new EventEmitter();
    const controller = new AbortController();
    let stderr = '';
    ownSignals(controller, { write: (text: string) => (stderr += text) }, source)();
    assert.equal(source.listenerCount('SIGTERM'), 0);
    const release = ownSignals(controller, { write: (text: string) => (stderr += text) }, source);
    source.emit('SIGTERM', 'SIGTERM');
    release();
    assert.equal(stderr, '\nTerminated: stopping and cleaning up…\n');
    assert.match(String((controller.signal.reason as Error).message), /SIGTERM/);
  });
});

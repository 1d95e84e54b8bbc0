import assert from 'node:assert/strict';
import { argvSpecFromCommands, normalizeArgv } from '../../src/cli/normalize-argv.ts';
import { COMMANDS } from '../../src/commands/index.ts';

describe('argv normalisation (flags anywhere)', () => {
  const spec = argvSpecFromCommands(COMMANDS);

  it('moves the command in front of flags that come before it', () => {
    assert.deepEqual(normalizeArgv(['-n', 'prod', 'restart', 'basic-tikv-0'], spec), {
      kind: 'run',
      commandId: 'restart',
      argv: ['-n', 'prod', 'basic-tikv-0'],
    });
  });

  it('does not take the value of a value flag for the command', () => {
    // `restart` here is the namespace, `status` the command.
    assert.deepEqual(normalizeArgv(['--namespace', 'restart', 'status'], spec), { kind: 'run', commandId: 'status', argv: ['--namespace', 'restart'] });
    assert.deepEqual(normalizeArgv(['--context', 'status', '-o', 'json', 'version'], spec), {
      kind: 'run',
      commandId: 'version',
      argv: ['--context', 'status', '-o', 'json'],
    });
  });

  it('knows values attached with = or to a short flag', () => {
    assert.deepEqual(normalizeArgv(['--namespace=prod', '-nprod', '-o=json', 'status'], spec), {
      kind: 'run',
      commandId: 'status',
      argv: ['--namespace=prod', '-nprod', '-o=json'],
    });
  });

  it('knows which short-flag group ends in a value flag', () => {
    assert.deepEqual(normalizeArgv(['-yn', 'prod', 'restart', '--all'], spec), { kind: 'run', commandId: 'restart', argv: ['-yn', 'prod', '--all'] });
    assert.deepEqual(normalizeArgv(['-vy', 'restart'], spec), { kind: 'run', commandId: 'restart', argv: ['-vy'] });
  });

  it('knows the value flags of every command, e.g. upgrade --version before the command', () => {
    assert.deepEqual(normalizeArgv(['--version', 'v8.5.1', 'upgrade'], spec), { kind: 'run', commandId: 'upgrade', argv: ['--version', 'v8.5.1'] });
  });

  it('resolves aliases to the command id', () => {
    assert.deepEqual(normalizeArgv(['stores', '-n', 'x'], spec), { kind: 'run', commandId: 'status', argv: ['-n', 'x'] });
  });

  it('treats -h/--help anywhere as help for the command', () => {
    assert.deepEqual(normalizeArgv(['-n', 'x', 'restart', '--help'], spec), { kind: 'help', commandId: 'restart' });
    assert.deepEqual(normalizeArgv(['-h', 'upgrade'], spec), { kind: 'help', commandId: 'upgrade' });
    assert.deepEqual(normalizeArgv(['--help'], spec), { kind: 'help' });
    assert.deepEqual(normalizeArgv([], spec), { kind: 'help' });
  });

  it('supports `help COMMAND`', () => {
    assert.deepEqual(normalizeArgv(['help', 'restart'], spec), { kind: 'help', commandId: 'restart' });
    assert.deepEqual(normalizeArgv(['help', 'stores'], spec), { kind: 'help', commandId: 'status' });
    assert.deepEqual(normalizeArgv(['help'], spec), { kind: 'help', commandId: undefined });
  });

  it('runs `version` for a bare --version, as kubectl plugins are expected to', () => {
    assert.deepEqual(normalizeArgv(['--version'], spec), { kind: 'run', commandId: 'version', argv: [] });
  });

  it('reports the first word that is not a command', () => {
    assert.deepEqual(normalizeArgv(['-n', 'x', 'restat', 'restart'], spec), { kind: 'unknown-command', word: 'restat' });
  });

  it('stops at -- (what follows is not flags or a command)', () => {
    assert.deepEqual(normalizeArgv(['--', 'restart'], spec), { kind: 'help' });
  });
});

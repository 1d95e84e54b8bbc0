import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_POLL_MS, runBench } from '../../bench/run-bench.ts';
import { checkGoals, renderReport, replaceReadmeSection, README_END, README_START, type BenchResults } from '../../bench/report.ts';

// The harness in its CI mode (`npm run bench -- --quick`): it must keep producing well-formed results. Times are
// whatever they are: nothing here asserts one.
describe('bench: the quick harness run', function () {
  this.timeout(240_000);
  let dir: string;
  let results: BenchResults;
  const lines: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kt-bench-'));
    results = await runBench({
      quick: true,
      out: path.join(dir, 'results.json'),
      readme: false,
      build: 'if-stale',
      workDir: path.join(dir, 'work'),
      log: (line) => lines.push(line),
    });
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the results it returns to the output file', () => {
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')), JSON.parse(JSON.stringify(results)));
    assert.equal(results.schema, 1);
    assert.equal(results.mode, 'quick');
    assert.ok(lines.some((l) => l.includes(`5 stores, poll ${DEFAULT_POLL_MS / 1000} s`)), lines.join('\n'));
  });

  it('records the environment the numbers were taken in', () => {
    const env = results.environment;
    assert.ok(env.cpus >= 1 && env.cpuModel.length > 0);
    assert.match(env.node, /^v\d+\.\d+\.\d+$/);
    assert.equal(env.loadAverageBefore.length, 3);
    assert.equal(env.loadAverageAfter.length, 3);
    assert.equal(results.settings.timeScale > 0, true);
  });

  it('reads one 5-store upgrade and one rolling restart with a reaction for every step of every store', () => {
    assert.deepEqual(results.upgrades.map((u) => [u.command, u.stores]), [['upgrade', 5], ['restart', 5]]);
    const restart = results.upgrades[1];
    assert.equal(restart.reactions.all.realMs.count, 14);
    assert.equal(restart.targetVersion, undefined);
    const run = results.upgrades[0];
    assert.equal(run.reactions['leaders-drained'].wallMs.count, 5);
    assert.equal(run.reactions['store-up'].wallMs.count, 5);
    assert.equal(run.reactions['leaders-back'].wallMs.count, 4);
    assert.equal(run.reactions.all.realMs.count, 14);
    for (const value of [run.wallMs, run.inherentWallMs, run.projected.ratio, run.projected.inherentSeconds, run.reactions.all.realMs.median!, run.peakRssMiB!]) {
      assert.ok(Number.isFinite(value) && value > 0, `not a positive number: ${value}`);
    }
    assert.ok(run.inherentWallMs < run.wallMs, 'the inherent phases lie inside the CLI run');
    assert.ok(run.cost.polls > 0);
    assert.ok(run.cost.perPollByRoute['pd GET /pd/api/v1/store/{id}'] === 1, 'a poll is one store read by definition');
  });

  it('times start-up of the CLI next to node -e 0', () => {
    const names = results.startup.commands.map((c) => c.name);
    for (const name of ['node -e 0', 'kubectl-tikv --help', 'kubectl-tikv version', 'kubectl-tikv status']) assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
    for (const c of results.startup.commands) assert.ok(c.runs === 3 && c.medianMs > 0 && c.minMs <= c.medianMs && c.medianMs <= c.maxMs, JSON.stringify(c));
  });

  it('reads where status spends its time', () => {
    assert.equal(results.statusPhases.length, 1);
    const p = results.statusPhases[0];
    assert.equal(p.stores, 5);
    assert.equal(p.phases.totalMs.count, 2);
    assert.ok(p.requests.pd > 0 && p.requests.tikv === 5 && p.requests.portForwards >= 6, JSON.stringify(p.requests));
  });

  it('renders a README section with every table and a verdict for each goal', () => {
    const section = renderReport(results);
    for (const heading of ['**Reaction lag**', '**Upgrade time**', '**Cost while waiting**', '**Start-up**', '**Memory**', '**Goals**']) assert.ok(section.includes(heading), heading);
    const goals = checkGoals(results);
    assert.ok(goals.length >= 4);
    for (const goal of goals) assert.ok(section.includes(goal.goal));
    const readme = replaceReadmeSection(`# x\n\n${README_START}\nold\n${README_END}\n\ntail\n`, section);
    assert.ok(readme.startsWith(`# x\n\n${README_START}\n`) && readme.endsWith(`${README_END}\n\ntail\n`) && !readme.includes('old'));
  });

  it('removes its scratch directory (installed CLI, kubeconfigs, History dumps)', () => {
    assert.ok(!existsSync(path.join(dir, 'work')));
  });
});

describe('bench: the README section', () => {
  it('refuses a README without the bench markers', () => {
    assert.throws(() => replaceReadmeSection('# nothing here\n', 'x'), /no <!-- bench:start -->/);
  });
});

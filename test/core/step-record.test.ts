import assert from 'node:assert/strict';
import { decodeStepRecord, encodeStepRecord, stepAnnotationKey, stepRecordsIn, type StepRecord } from '../../src/core/step-record.ts';

const record: StepRecord = {
  runId: 'r1', command: 'upgrade', storeId: 5, podName: 'basic-tikv-4', podUid: 'u', startTimestampSec: 1, leadersBefore: 30,
  phase: 'restarting', phaseSinceMs: 2, triggeredAtMs: 3, ownsScheduler: true, schedulerAddedAtMs: 2, expectedVersion: '8.5.1', holder: 'me@host (pid 1)',
};

describe('core/step-record', () => {
  it('round-trips through an annotation', () => {
    assert.deepEqual(decodeStepRecord(encodeStepRecord(record)), record);
  });

  it('rejects values that are not a record', () => {
    for (const text of ['', 'null', '{}', '[]', '{"runId":1}', encodeStepRecord({ ...record, phase: 'dancing' as never }), encodeStepRecord({ ...record, storeId: 'five' as never })]) {
      assert.equal(decodeStepRecord(text), undefined, text);
    }
  });

  it('finds records among annotations and names the unreadable ones', () => {
    const { records, unreadable } = stepRecordsIn({
      [stepAnnotationKey(5)]: encodeStepRecord(record),
      [stepAnnotationKey(6)]: 'garbage',
      [stepAnnotationKey(7)]: encodeStepRecord(record),
      'other/annotation': 'x',
    });
    assert.deepEqual(records, [record]);
    assert.deepEqual(unreadable.sort(), ['kubectl-tikv.io/step-6', 'kubectl-tikv.io/step-7']);
  });
});

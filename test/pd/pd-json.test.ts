import assert from 'node:assert/strict';
import { decodePdErrorBody, parseJsonSequence, parsePdJson } from '../../src/pd/pd-json.ts';
import { GO_TEXT_404, JSON_NULL, NOT_BOOTSTRAPPED, STORE_NOT_FOUND_99, STORE_NOT_FOUND_99_THEN_CREATED, STORE_NOT_FOUND_99_V75 } from './pd-fixtures.ts';

describe('PD JSON', () => {
  it('keeps uint64s beyond 2^53 exact as bigint and leaves safe numbers alone', () => {
    const value = parsePdJson('{"big": 13261822446467651241, "ns": 1732000123456789000, "small": 42, "float": 1.5e3, "neg": -7}') as Record<string, unknown>;
    assert.equal(value.big, 13261822446467651241n);
    assert.equal(value.ns, 1732000123456789000n);
    assert.equal(value.small, 42);
    assert.equal(value.float, 1500);
    assert.equal(value.neg, -7);
  });

  it('does not turn a large float into a bigint', () => {
    const value = parsePdJson('{"x": 1.0e300}') as Record<string, unknown>;
    assert.equal(value.x, 1e300);
  });

  it('splits a sequence of JSON values, with strings containing quotes and brackets', () => {
    assert.deepEqual(parseJsonSequence('"a \\"[b]\\" {c}"\n"d"\n{"e":[1,{"f":"}"}]} null 3\n'), ['a "[b]" {c}', 'd', { e: [1, { f: '}' }] }, null, 3]);
    assert.deepEqual(parseJsonSequence('  \n'), []);
    assert.throws(() => parseJsonSequence('"unterminated'), SyntaxError);
  });
});

describe('PD error bodies', () => {
  it('decodes a JSON string message and extracts the [PD:area:Code] code', () => {
    assert.deepEqual(decodePdErrorBody(STORE_NOT_FOUND_99), {
      pdMessage: '[PD:core:ErrStoreNotFound]store 99 not found',
      pdCode: 'PD:core:ErrStoreNotFound',
    });
  });

  it('reads v7.5\'s doubled message once', () => {
    assert.deepEqual(decodePdErrorBody(STORE_NOT_FOUND_99_V75), {
      pdMessage: '[PD:core:ErrStoreNotFound]store 99 not found',
      pdCode: 'PD:core:ErrStoreNotFound',
    });
  });

  it('reads the error, not the success message a v6/v7.5 handler appends after it', () => {
    assert.deepEqual(decodePdErrorBody(STORE_NOT_FOUND_99_THEN_CREATED), {
      pdMessage: '[PD:core:ErrStoreNotFound]store 99 not found',
      pdCode: 'PD:core:ErrStoreNotFound',
    });
  });

  it('reads null as no message, Go\'s text 404 as text, and an object by its message field', () => {
    assert.deepEqual(decodePdErrorBody(JSON_NULL), { pdMessage: '' });
    assert.deepEqual(decodePdErrorBody(GO_TEXT_404), { pdMessage: '404 page not found' });
    assert.deepEqual(decodePdErrorBody(''), { pdMessage: '' });
    assert.equal(decodePdErrorBody('{"code":"x","message":"boom [PD:tso:ErrX]y"}').pdMessage, 'boom [PD:tso:ErrX]y');
    assert.equal(decodePdErrorBody('{"code":"x","message":"boom [PD:tso:ErrX]y"}').pdCode, 'PD:tso:ErrX');
  });

  it('reads a message without a code', () => {
    assert.deepEqual(decodePdErrorBody(NOT_BOOTSTRAPPED), { pdMessage: 'TiKV cluster not bootstrapped, please start TiKV first' });
  });
});

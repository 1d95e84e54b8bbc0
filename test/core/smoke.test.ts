import assert from 'node:assert/strict';
import { UserError, ExitCode } from '../../src/errors.ts';
describe('smoke', () => { it('maps usage errors to exit 2', () => { assert.equal(new UserError('x', { code: ExitCode.usage }).code, 2); }); });

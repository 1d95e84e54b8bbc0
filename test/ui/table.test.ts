import assert from 'node:assert/strict';
import { colors, shouldColor, stripAnsi } from '../../src/ui/color.ts';
import { isStructured, renderStructured } from '../../src/ui/structured-output.ts';
import { type Column, renderTable, visibleWidth } from '../../src/ui/table.ts';

interface Row {
  name: string;
  leaders: number;
  node: string;
}

const columns: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'LEADERS', value: (r) => String(r.leaders), align: 'right' },
  { header: 'NODE', value: (r) => r.node, wide: true },
];

describe('kubectl-style output', () => {
  it('pads columns to the widest cell, three spaces apart, no trailing spaces', () => {
    const text = renderTable(columns, [
      { name: 'basic-tikv-0', leaders: 7, node: 'n1' },
      { name: 'basic-tikv-10', leaders: 123, node: 'n2' },
    ]);
    assert.equal(text, ['NAME            LEADERS', 'basic-tikv-0          7', 'basic-tikv-10       123', ''].join('\n'));
  });

  it('adds the wide columns only with -o wide', () => {
    const text = renderTable(columns, [{ name: 'a', leaders: 1, node: 'node-1' }], { wide: true });
    assert.equal(text, 'NAME   LEADERS   NODE\na            1   node-1\n');
  });

  it('does not count colour codes in widths, and keeps cells on one line', () => {
    const c = colors(true);
    const text = renderTable([{ header: 'STATE', value: (r: { s: string }) => r.s }, { header: 'X', value: () => 'x' }], [{ s: c.green('Up') }, { s: 'Disconnected\nnow' }]);
    const lines = text.trimEnd().split('\n').map(stripAnsi);
    assert.deepEqual(lines, ['STATE              X', 'Up                 x', 'Disconnected now   x']);
  });

  it('prints nothing, or the given message, for no rows', () => {
    assert.equal(renderTable(columns, []), '');
    assert.equal(renderTable(columns, [], { emptyMessage: 'No resources found in tidb namespace.' }), 'No resources found in tidb namespace.\n');
  });

  it('measures East Asian wide characters as two columns', () => {
    assert.equal(visibleWidth('存储'), 4);
    assert.equal(visibleWidth(colors(true).red('ab')), 2);
  });

  it('colours only terminals, never with NO_COLOR or --no-color, and when FORCE_COLOR asks', () => {
    assert.equal(shouldColor({ isTTY: true }, {}), true);
    assert.equal(shouldColor({ isTTY: false }, {}), false);
    assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(shouldColor({ isTTY: true }, {}, false), false);
    assert.equal(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' }), true);
    assert.equal(shouldColor({ isTTY: true }, { FORCE_COLOR: '0' }), false);
    assert.equal(shouldColor({ isTTY: true }, { TERM: 'dumb' }), false);
    assert.equal(colors(false).red('x'), 'x');
    assert.equal(colors(true).red('x'), '\u001b[31mx\u001b[39m');
  });

  it('renders JSON as kubectl does (four spaces, trailing newline) and YAML, both without undefined fields', () => {
    const data = { plugin: { version: 'v0.1.0' }, cluster: undefined, stores: [{ id: 1, state: 'Up' }] };
    assert.equal(renderStructured(data, 'json'), '{\n    "plugin": {\n        "version": "v0.1.0"\n    },\n    "stores": [\n        {\n            "id": 1,\n            "state": "Up"\n        }\n    ]\n}\n');
    assert.equal(renderStructured(data, 'yaml'), 'plugin:\n  version: v0.1.0\nstores:\n  - id: 1\n    state: Up\n');
    assert.equal(isStructured('json'), true);
    assert.equal(isStructured('wide'), false);
    assert.equal(isStructured(undefined), false);
  });
});

/**
 * The layer rules of docs/architecture.md are enforced by eslint (eslint.config.mjs). Each rule is
 * proved here by linting a deliberate violation as if it were a file in that layer.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as path from 'path';
import { ROOT } from '../../helpers/paths';

// eslint is an ES module with a CommonJS entry; load it at run time so the bundle does not include it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ESLint } = require(path.join(ROOT, 'node_modules', 'eslint')) as typeof import('eslint');

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [res] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return res.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: [string, string, boolean][] = [
  ['src/core/x.ts', "import * as vscode from 'vscode';", true],
  ['src/core/x.ts', "import { s } from '../debug/session';", true],
  ['src/core/x.ts', "import { m } from '../cli/main';", true],
  ['src/core/x.ts', "import { e } from '../extension/extension';", true],
  ['src/debug/x.ts', "import * as vscode from 'vscode';", true],
  ['src/debug/x.ts', "import { m } from '../cli/main';", true],
  ['src/debug/x.ts', "import { e } from '../extension/views';", true],
  ['src/debug/x.ts', "import { i } from '../import/importer';", true],
  ['src/cli/x.ts', "import { s } from '../debug/session';", true],
  ['src/cli/x.ts', "import * as vscode from 'vscode';", true],
  ['src/extension/x.ts', "import { m } from '../cli/main';", true],
  ['src/import/x.ts', "import * as vscode from 'vscode';", true],
  ['src/import/x.ts', "import { m } from '../cli/main';", true],
  ['src/import/x.ts', "import { s } from '../debug/session';", true],
  ['src/import/x.ts', "import { e } from '../extension/extension';", true],
  ['src/core/x.ts', "import { i } from '../import/importer';", true],
  // allowed directions
  ['src/import/x.ts', "import { b } from '../core/bits';", false],
  ['src/cli/x.ts', "import { i } from '../import/importer';", false],
  ['src/extension/x.ts', "import * as vscode from 'vscode';", false],
  ['src/extension/x.ts', "import { s } from '../debug/session';", false],
  ['src/debug/x.ts', "import { b } from '../core/bits';", false],
  ['src/cli/x.ts', "import { b } from '../core/bits';", false],
];

for (const [file, code, denied] of cases) {
  test(`layer rule: ${file} ${denied ? 'may not' : 'may'} ${code}`, async () => {
    const errs = await layerErrors(file, code + '\nexport const y = 1;\n');
    if (denied)
      assert.ok(errs.length > 0 && errs.every((m) => /layer rule/.test(m)), `expected a layer error, got ${errs}`);
    else assert.deepEqual(errs, []);
  });
}

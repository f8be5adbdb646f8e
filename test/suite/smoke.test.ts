// Placeholder proving the end-to-end infrastructure: this runs inside a real VS Code
// extension host, where `vscode` is the real API.
import * as assert from 'assert';
import * as vscode from 'vscode';

describe('e2e infrastructure smoke', () => {
  it('runs inside a VS Code extension host', () => {
    assert.strictEqual(typeof vscode.version, 'string');
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });
});

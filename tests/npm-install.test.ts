/**
 * The project's npm setup prints nothing: `npx defect-studio --help` has no npm warning (the old
 * `.npmrc` key onnxruntime-node-install=skip is an unknown project config for npm >= 11.2), and no
 * dependency install script runs (onnxruntime-node's would download CUDA binaries from outside the registry).
 * The fresh-clone check (`npm ci` silent, then build and CLI) is tools/check-fresh-install.sh.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers';

/** The environment of a user's shell: without the npm_* variables of an enclosing `npm test`. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.toLowerCase().startsWith('npm_')) delete env[k];
  return env;
}

function sh(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd: REPO, env: userEnv(), timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })));
}

describe('npm setup', () => {
  it('npx defect-studio --help prints the usage and nothing on stderr', async () => {
    const r = await sh('npx', ['--offline', 'defect-studio', '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: defect-studio generate/);
  });

  it('dependency install scripts are off, and .npmrc has only settings npm knows', async () => {
    const r = await sh('npm', ['config', 'get', 'ignore-scripts']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true');
    const keys = readFileSync(join(REPO, '.npmrc'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !/^\s*[#;]/.test(l))
      .map((l) => l.split('=')[0].trim());
    expect(keys).toEqual(['ignore-scripts']);
  });
});

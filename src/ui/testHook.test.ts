// Test hooks live in one file (issue 11): only src/ui/testHook.ts defines a page global or extends Window;
// every other module registers its part through registerTestHook.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(n) && !/\.test\.tsx?$/.test(n) ? [p] : [];
  });
}

describe('test hook', () => {
  it('only src/ui/testHook.ts defines page globals for tests', () => {
    const offenders: string[] = [];
    for (const f of sources('src')) {
      if (f === join('src', 'ui', 'testHook.ts')) continue;
      const text = readFileSync(f, 'utf8');
      if (/\b(window|globalThis|self)\s*(\.\s*__\w+|\[\s*['"]__\w+)/.test(text) || /interface\s+Window\b/.test(text) || /__defectStudio/.test(text)) offenders.push(f);
    }
    expect(offenders).toEqual([]);
  });

  it('every part of the hook is typed in TestHook, listed with its owner in the header, and registered by that owner', () => {
    const text = readFileSync(join('src', 'ui', 'testHook.ts'), 'utf8');
    const body = text.slice(text.indexOf('export interface TestHook {'));
    const parts = [...body.slice(0, body.indexOf('}')).matchAll(/^\s+(\w+):/gm)].map((m) => m[1]);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    for (const part of parts) {
      const line = text.match(new RegExp(`^ \\*\\s+${part}\\s.*\\(([^()]*)\\)$`, 'm'));
      expect(line, `${part} is listed in the header with its owner`).not.toBeNull();
      const owner = line![1].split(', ').pop()!;
      const file = sources('src').find((f) => f.endsWith(owner));
      expect(file, `${part}: owner ${owner}`).toBeDefined();
      expect(readFileSync(file!, 'utf8'), `${owner} registers ${part}`).toMatch(new RegExp(`registerTestHook\\(\\{[^;]*\\b${part}\\b`));
    }
  });
});

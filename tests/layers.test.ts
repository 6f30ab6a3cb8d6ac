/**
 * The import graph of src/: arrows only downward and no cycles. Layers: `core` at the bottom (pure
 * TypeScript: no DOM, no node: outside *.node.ts, nothing from above); `editor`, `worker` and `cli` on it
 * (none imports another); `ui` on editor, worker and core; `main.tsx` at the top. `security` (server
 * headers for vite) stands apart and imports nothing of the app. Static imports, `import()` and
 * `export ... from` all count; type-only imports too (a type from above still couples the layers).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers';

const SRC = join(REPO, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(n) ? [p] : [];
  });
}

const SPEC = /(?:^|\s)(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec.replace(/\?.*$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return null;
}

const all = files(SRC);
const graph = new Map<string, { local: string[]; value: string[]; bare: string[] }>();
for (const f of all) {
  // Comments out (block and whole-line), so an import shown in a doc comment is not an edge.
  const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const local: string[] = [];
  const value: string[] = [];
  const bare: string[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const r = resolveLocal(f, spec);
    if (r) {
      local.push(r);
      if (!/^\s*(?:import|export)\s+type\s/.test(m[0])) value.push(r); // `import type` is erased: no runtime edge
    }
    else if (!spec.startsWith('.')) bare.push(spec);
    else throw new Error(`${relative(REPO, f)}: cannot resolve ${spec}`);
  }
  graph.set(f, { local, value, bare });
}

const layerOf = (f: string) => {
  const r = relative(SRC, f);
  return r.includes('/') ? r.slice(0, r.indexOf('/')) : r; // 'main.tsx' is its own layer
};
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  editor: ['editor', 'core'],
  worker: ['worker', 'core'],
  cli: ['cli', 'core'],
  security: ['security'],
  ui: ['ui', 'editor', 'worker', 'core'],
  'main.tsx': ['ui', 'editor', 'worker', 'core'],
};
const isTest = (f: string) => /\.test\.tsx?$/.test(f);

describe('layers of src/', () => {
  it('every file is in a known layer', () => {
    expect([...new Set(all.map(layerOf))].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it('arrows only downward (core imports nothing from editor, ui, worker or cli)', () => {
    const wrong: string[] = [];
    for (const [f, { local }] of graph) {
      for (const t of local) {
        if (relative(SRC, t).startsWith('..') && t.endsWith('package.json')) continue; // the app's version
        if (!ALLOWED[layerOf(f)].includes(layerOf(t))) wrong.push(`${relative(SRC, f)} -> ${relative(SRC, t)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the core uses no DOM-only or UI packages, and node: only in *.node.ts files and tests', () => {
    const wrong: string[] = [];
    for (const [f, { bare }] of graph) {
      if (layerOf(f) !== 'core') continue;
      for (const b of bare) {
        const nodeOk = f.endsWith('.node.ts') || isTest(f);
        if (b.startsWith('node:') ? !nodeOk : /^(react|react-dom|konva|react-konva|zustand|onnxruntime-web)(\/|$)/.test(b)) wrong.push(`${relative(SRC, f)} -> ${b}`);
      }
      if (!f.endsWith('.node.ts') && !isTest(f)) {
        for (const t of graph.get(f)!.local) if (t.endsWith('.node.ts')) wrong.push(`${relative(SRC, f)} -> ${relative(SRC, t)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the runtime import graph has no cycles (type-only imports are erased and do not count)', () => {
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 1);
      stack.push(f);
      for (const t of graph.get(f)?.value ?? []) {
        const s = state.get(t);
        if (s === 1) cycles.push([...stack.slice(stack.indexOf(t)), t].map((x) => relative(SRC, x)).join(' -> '));
        else if (!s) visit(t);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of all) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});

/**
 * The shipped pack's manifest matches its files (size and sha256 of every listed file): an edited model
 * card or re-exported model without a manifest update makes the app and the CLI refuse the built-in model.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers';

const PACK = join(REPO, 'public', 'models', 'ds-surface-v1');

describe('built-in pack', () => {
  it('every file listed in defect-studio.json has the listed size and sha256', () => {
    const manifest = JSON.parse(readFileSync(join(PACK, 'defect-studio.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string }> };
    const wrong: string[] = [];
    for (const [name, entry] of Object.entries(manifest.files)) {
      const data = readFileSync(join(PACK, name));
      const sha = createHash('sha256').update(data).digest('hex');
      if (data.length !== entry.bytes || sha !== entry.sha256) wrong.push(`${name}: ${data.length} bytes ${sha}, listed ${entry.bytes} ${entry.sha256}`);
    }
    expect(wrong).toEqual([]);
  });
});

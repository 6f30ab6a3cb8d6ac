import { describe, expect, it } from 'vitest';
import { parseGenerateArgs, isUsageError, USAGE } from './args';
import { printable } from './main';

const base = ['--model', 'm', '--image', 'i.png', '--trimap', 't.png', '--prompt', 'a scratch', '--out', 'o'];

function usageMessage(argv: string[]): string {
  try {
    parseGenerateArgs(argv);
  } catch (e) {
    expect(isUsageError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('defect-studio generate options', () => {
  it('takes only the options given; the rest is left to the pack defaults', () => {
    const a = parseGenerateArgs([...base, '--steps', '30', '--guidance=7.5', '--scheduler', 'euler', '--no-adapt']);
    expect(a.settings).toEqual({ prompt: 'a scratch', steps: 30, guidance: 7.5, scheduler: 'euler', adaptation: false });
    expect(a.backend).toBe('native');
  });

  it('never takes the next option as a value', () => {
    expect(usageMessage([...base, '--negative-prompt', '--no-adapt'])).toMatch(
      /^--negative-prompt needs a value, got the option --no-adapt \(write --negative-prompt=--no-adapt/,
    );
    expect(usageMessage(['--model', '--image', 'i.png'])).toMatch(/^--model needs a value, got the option --image/);
    // ...but a value that starts with -- can be given after "="
    expect(parseGenerateArgs([...base, '--negative-prompt=--no-adapt']).settings.negativePrompt).toBe('--no-adapt');
    // a negative number is a value (and then out of range)
    expect(usageMessage([...base, '--eta', '-0.5'])).toMatch(/^--eta must be a number from 0 to 1, got "-0.5"$/);
  });

  it('ranges of guidance and eta are those of the app', () => {
    expect(usageMessage([...base, '--guidance', '45'])).toBe('--guidance must be a number from 0 to 30, got "45"');
    expect(usageMessage([...base, '--guidance', 'NaN'])).toMatch(/^--guidance must be a number/);
    expect(usageMessage([...base, '--eta', '1.5'])).toBe('--eta must be a number from 0 to 1, got "1.5"');
    expect(usageMessage([...base, '--steps', 'many'])).toMatch(/^--steps must be an integer from 1 to 1000/);
    expect(usageMessage([...base, '--scheduler', 'pndm'])).toMatch(/^--scheduler must be one of ddim, euler, dpmpp-2m/);
    expect(usageMessage([...base, '--dilation-px', '300'])).toMatch(/^--dilation-px must be an integer from 0 to 256/);
  });

  it('other mistakes', () => {
    expect(usageMessage([...base, '--steps', '3', '--steps', '4'])).toBe('--steps given twice');
    expect(usageMessage([...base, '--stepz', '3'])).toBe('unknown option --stepz');
    expect(usageMessage([...base, 'extra'])).toBe('unexpected argument "extra"');
    expect(usageMessage([...base, '--no-adapt=1'])).toBe('--no-adapt takes no value');
    expect(usageMessage(base.slice(0, 6).concat(['--out', 'o']))).toBe('missing --prompt');
    expect(usageMessage([...base, '--steps'])).toBe('--steps needs a value');
    expect(usageMessage(['--prompt=', ...base.slice(0, 6), '--out', 'o'])).toBe('--prompt is empty: enter a prompt');
  });

  it('usage lists the ranges of src/core/settings', () => {
    expect(USAGE).toContain('[--guidance 0..30]');
    expect(USAGE).toContain('[--eta 0..1]');
    expect(USAGE).toContain('[--scheduler ddim|euler|dpmpp-2m]');
    expect(USAGE).toContain('[--[no-]adapt]');
    expect(USAGE).toContain('[--[no-]seam-spare-strokes]');
  });

  it('boolean settings both ways: --seam-spare-strokes / --no-seam-spare-strokes / =false', () => {
    expect(parseGenerateArgs([...base, '--seam-spare-strokes']).settings.seamSpareStrokes).toBe(true);
    expect(parseGenerateArgs([...base, '--no-seam-spare-strokes']).settings.seamSpareStrokes).toBe(false);
    expect(parseGenerateArgs([...base, '--seam-spare-strokes=false']).settings.seamSpareStrokes).toBe(false);
    expect(parseGenerateArgs(base).settings.seamSpareStrokes).toBeUndefined();
  });

  it('printable: no control character reaches the terminal', () => {
    const s = printable('pack "\u001b[2J\u001b]0;owned\u0007" \u202egnp.exe\nnext\u0085');
    expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(s).toBe('pack "\\x1b[2J\\x1b]0;owned\\x07" \\u202egnp.exe next\\x85');
  });
});

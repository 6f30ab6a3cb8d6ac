/**
 * The page's one key listener: every shortcut comes from the command table (src/ui/commands.ts); Space is
 * held for panning. A command's key scope says where the focus may be: most keys do nothing while typing
 * in a text field (the prompt, a number), Ctrl/Cmd+Enter generates from anywhere, and Tab (compare) is
 * left to focus navigation while a control has the focus.
 */
import { useEffect } from 'react';
import type { KeyFocus } from '../../editor/keymap';
import { commandForKey, type Command, type CommandContext } from '../commands';

/** True while Space is held (pan mode). Read by the canvas; not React state. */
export const spaceHeld = { current: false };

/** Where the focus is, for a key event's target. */
export function focusOf(el: EventTarget | null): KeyFocus {
  if (typeof HTMLElement === 'undefined' || !(el instanceof HTMLElement)) return 'none';
  if (el.isContentEditable) return 'text';
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return 'text';
  if (el.tagName === 'INPUT') {
    const t = (el as HTMLInputElement).type;
    return ['range', 'checkbox', 'radio', 'button', 'submit', 'color', 'file'].includes(t) ? 'control' : 'text';
  }
  if (el.tagName === 'BUTTON') return 'control';
  return 'none';
}

export function useCommandKeys(ctx: CommandContext, onSpaceChange: () => void): void {
  useEffect(() => {
    /** Commands held down (compare), by key, released on key up or when the window loses the focus. */
    const held = new Map<string, Command>();
    const releaseAll = () => {
      for (const c of held.values()) c.release?.(ctx);
      held.clear();
    };
    const down = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      // A modal dialog (help) keeps its keys, Escape included.
      if (e.target instanceof Element && e.target.closest('dialog')) return;
      if (document.querySelector('dialog[open]')) return;
      const focus = focusOf(e.target);
      if (e.key === ' ' || e.code === 'Space') {
        if (focus === 'text') return;
        if (!(e.target instanceof HTMLButtonElement)) e.preventDefault();
        if (!spaceHeld.current) {
          spaceHeld.current = true;
          onSpaceChange();
        }
        return;
      }
      // Buttons keep Enter for themselves.
      if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && e.target instanceof HTMLButtonElement) return;
      const c = commandForKey(e, focus, ctx);
      if (!c) return;
      e.preventDefault();
      if (c.release) {
        if (held.has(e.key)) return; // auto-repeat of a held key
        held.set(e.key, c);
      }
      c.perform?.(ctx);
    };
    const up = (e: KeyboardEvent) => {
      if ((e.key === ' ' || e.code === 'Space') && spaceHeld.current) {
        spaceHeld.current = false;
        onSpaceChange();
      }
      const c = held.get(e.key);
      if (c) {
        held.delete(e.key);
        c.release?.(ctx);
      }
    };
    const blur = () => {
      releaseAll();
      if (spaceHeld.current) {
        spaceHeld.current = false;
        onSpaceChange();
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
      releaseAll();
    };
  }, [ctx, onSpaceChange]);
}

/**
 * UI-only state, sliced by concern. Tool settings live in the headless editor (see editorInstance's
 * useToolSettings); pixel buffers never enter React state.
 */
import { create } from 'zustand';
import { BACKGROUND, DEFECT, OBJECT, type TrimapClass } from '../core/image';

export const CLASS_LABELS: Record<TrimapClass, string> = { [BACKGROUND]: 'Background', [OBJECT]: 'Object', [DEFECT]: 'Defect' };
export const CLASS_ORDER: readonly TrimapClass[] = [BACKGROUND, OBJECT, DEFECT];

/** How the trimap overlay is drawn. */
export interface ViewSettings {
  opacity: number;
  /** RGB per class. */
  colors: Record<TrimapClass, [number, number, number]>;
  /** Relative strength per class (object is drawn fainter: it usually covers the whole image). */
  weights: Record<TrimapClass, number>;
  visible: Record<TrimapClass, boolean>;
  setOpacity(o: number): void;
  setVisible(c: TrimapClass, v: boolean): void;
}

export const useViewSettings = create<ViewSettings>((set) => ({
  opacity: 0.5,
  colors: { [BACKGROUND]: [40, 110, 255], [OBJECT]: [40, 200, 120], [DEFECT]: [255, 40, 60] },
  weights: { [BACKGROUND]: 1, [OBJECT]: 0.6, [DEFECT]: 1 },
  // Object usually covers the whole image: untinted by default so that the photo reads true.
  visible: { [BACKGROUND]: true, [OBJECT]: false, [DEFECT]: true },
  setOpacity: (opacity) => set({ opacity: Math.min(1, Math.max(0, opacity)) }),
  setVisible: (c, v) => set((s) => ({ visible: { ...s.visible, [c]: v } })),
}));

/** Dialogs and transient UI state. */
interface UiState {
  helpOpen: boolean;
  /** True once the autosaved session (if any) has been looked up. */
  restored: boolean;
  setHelpOpen(v: boolean): void;
  set(p: Partial<Pick<UiState, 'restored'>>): void;
}

export const useUi = create<UiState>((set) => ({
  helpOpen: false,
  restored: false,
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  set: (p) => set(p),
}));

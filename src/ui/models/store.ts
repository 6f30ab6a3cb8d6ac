// The state of the models kept in this browser (the list, the storage estimate, the choice, an "Add model"
// in progress). The actions are in library.ts; the generation controller reads the choice from here.
import { create } from 'zustand';
import type { AddProgress, KeptPack } from '../../worker/addPack';

/** localStorage key of the chosen kept pack (its id; absent = the built-in model). */
export const CHOSEN_MODEL_KEY = 'defect-studio.model';

export interface LibraryState {
  /** Packs kept in this browser (the built-in's stored copy included, when the store has one). */
  packs: KeptPack[];
  /** navigator.storage.estimate() of this origin. */
  storage: { usage: number; quota: number } | null;
  /** True once the list was read from the store. */
  listed: boolean;
  /** The chosen kept pack's id, '' for the built-in model. */
  chosen: string;
  /** An "Add model" in progress. */
  adding: AddProgress | null;
  dialogOpen: boolean;
}

function storedChoice(): string {
  try {
    return globalThis.localStorage?.getItem(CHOSEN_MODEL_KEY) ?? '';
  } catch {
    return '';
  }
}

export const useLibrary = create<LibraryState>(() => ({
  packs: [],
  storage: null,
  listed: false,
  chosen: storedChoice(),
  adding: null,
  dialogOpen: false,
}));

/** The kept pack to load, or null for the page's default (`?model=`, else the built-in model). */
export function keptPackToLoad(): string | null {
  if (new URLSearchParams(location.search).has('model')) return null; // an explicit link wins for this page
  return useLibrary.getState().chosen || null;
}


// How components reach the page's one GenerationController: main.tsx provides it, components use it.
import { createContext, useContext } from 'react';
import type { GenerationController } from './controller';

export const GenerationContext = createContext<GenerationController | null>(null);

export function useGeneration(): GenerationController {
  const c = useContext(GenerationContext);
  if (!c) throw new Error('useGeneration: no GenerationContext.Provider above this component');
  return c;
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { createAppGenerationController } from './ui/generate/appController';
import { GenerationContext } from './ui/generate/context';
import { registerTestHook } from './ui/testHook';

// The page's one generation controller, handed down by context.
const generation = createAppGenerationController();
registerTestHook({ generation: generation.testHook() });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <GenerationContext.Provider value={generation}>
      <App />
    </GenerationContext.Provider>
  </StrictMode>,
);

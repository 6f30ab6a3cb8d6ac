export { Editor, EditorError, type EditorChange, type EditorListener, type SessionState } from './Editor';
export { History, PatchRecorder, type HistoryStep, type Patch } from './history';
export * from './tools';
export * from './viewport';
export * from './samples';

export function App() {
  return <main><h1>DefectStudio</h1></main>;
}

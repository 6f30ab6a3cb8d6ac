/** Keeps a failing panel from taking the whole editor down; shows the error in its place. */
import { Component, type ReactNode } from 'react';

export class ErrorBoundary extends Component<{ name: string; children: ReactNode; fallback?: (e: Error) => ReactNode }, { error: Error | null }> {
  state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  componentDidCatch(error: Error) {
    console.error(`${this.props.name} failed:`, error);
  }
  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    if (this.props.fallback) return this.props.fallback(error);
    return (
      <div className="ds-error" role="alert">
        {this.props.name} failed: {error.message}
      </div>
    );
  }
}

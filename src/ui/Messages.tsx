/**
 * The one place where messages are shown: every error, notice and status line of the message channel
 * (src/ui/messages.ts), whoever posted it. Errors are `role="alert"`, notices and the status line
 * `role="status"`; `data-testid` is `<source>-<kind>` (e.g. `generation-error`, `editor-notice`).
 */
import { useMessages } from './messages';

export function Messages() {
  const messages = useMessages((s) => s.messages);
  const status = useMessages((s) => s.status);
  const dismiss = useMessages((s) => s.dismiss);
  return (
    <div className="ds-messages">
      {status && (
        <div className="ds-message ds-message-status" role="status" data-testid="status-line">
          <span>{status}</span>
        </div>
      )}
      {messages.map((m) => (
        <div
          key={m.id}
          className={`ds-message ds-message-${m.kind}`}
          role={m.kind === 'error' ? 'alert' : 'status'}
          data-testid={`${m.source}-${m.kind}`}
        >
          <span>
            {m.title && <strong>{m.title}.</strong>} {m.text}
          </span>
          <button type="button" aria-label="Dismiss" onClick={() => dismiss(m.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

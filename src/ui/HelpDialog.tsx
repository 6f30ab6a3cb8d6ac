/** Keyboard shortcuts, generated from the command table (src/ui/commands.ts). */
import { useModalDialog } from './useModalDialog';
import { commandHelp } from './commands';
import { useUi } from './stores';

export function HelpDialog() {
  const open = useUi((s) => s.helpOpen);
  const setOpen = useUi((s) => s.setHelpOpen);
  const ref = useModalDialog(open);
  return (
    <dialog ref={ref} className="ds-help" aria-labelledby="ds-help-title" onClose={() => setOpen(false)} onCancel={() => setOpen(false)}>
      <h2 id="ds-help-title">Keyboard shortcuts</h2>
      <div className="ds-help-grid">
        {commandHelp().map((sec) => (
          <section key={sec.group}>
            <h3>{sec.group}</h3>
            <table>
              <tbody>
                {sec.rows.map((r) => (
                  <tr key={r.id} data-command={r.id}>
                    <td>{r.label}</td>
                    <td>
                      {r.keys.map((k, i) => (
                        <span key={k}>
                          {i > 0 && ' / '}
                          <kbd>{k}</kbd>
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}

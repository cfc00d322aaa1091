/** The agent editor's form controls, one per field of the request body, typed by kind. */
import { Field } from '../../ui';

type Kind = 'text' | 'textarea' | 'number' | 'select' | 'chain' | 'lines' | 'checkbox';
export interface FieldSpec {
  path: string;
  label: string;
  kind: Kind;
  options?: string[];
  hint?: string;
}

/** The editor's controls, by their path in the request body (`config.…` for the agent document). */
export const AGENT_FIELDS: FieldSpec[] = [
  { path: 'name', label: 'Name', kind: 'text' },
  { path: 'description', label: 'Description', kind: 'text' },
  { path: 'config.mode', label: 'Mode', kind: 'select', options: ['cascaded', 'sts'] },
  { path: 'config.greeting', label: 'Greeting', kind: 'textarea', hint: 'Said when the call connects' },
  { path: 'config.systemPrompt', label: 'System prompt', kind: 'textarea' },
  { path: 'config.language', label: 'Language', kind: 'text', hint: 'A BCP 47 tag such as en-US' },
  { path: 'config.voice', label: 'Voice', kind: 'text', hint: 'Provider-specific, e.g. en-us or alloy' },
  {
    path: 'config.providers.asr',
    label: 'Speech recognition providers',
    kind: 'chain',
    hint: 'Provider ids or local:… names, comma-separated; the rest are fallbacks',
  },
  { path: 'config.providers.llm', label: 'Language model providers', kind: 'chain' },
  { path: 'config.providers.tts', label: 'Speech synthesis providers', kind: 'chain' },
  { path: 'config.providers.sts', label: 'Speech-to-speech providers (mode sts)', kind: 'chain' },
  { path: 'config.turnTaking.endOfTurnSilenceMs', label: 'End-of-turn silence (ms)', kind: 'number' },
  { path: 'config.maxDurationSeconds', label: 'Maximum call length (s)', kind: 'number' },
  { path: 'config.goodbyeMessage', label: 'Goodbye message', kind: 'text' },
  {
    path: 'config.expectedPhrases',
    label: 'Expected phrases',
    kind: 'lines',
    hint: 'One a line; the built-in recogniser listens for these',
  },
  { path: 'config.recording.enabled', label: 'Record calls', kind: 'checkbox' },
  { path: 'config.webhookUrl', label: 'Agent webhook URL', kind: 'text' },
  { path: 'config.configUrl', label: 'Per-call configuration URL', kind: 'text' },
];

/** One control of the editor, rendered for its kind; `set` receives the value the API takes. */
export function Control({
  spec,
  value,
  errors,
  set,
}: {
  spec: FieldSpec;
  value: unknown;
  errors: string[];
  set: (path: string, v: unknown) => void;
}) {
  const optionalString = (v: string) => (v === '' && spec.path !== 'name' ? null : v);
  if (spec.kind === 'checkbox') {
    return (
      <div className={`field${errors.length ? ' field-invalid' : ''}`}>
        <label>
          <input
            type="checkbox"
            checked={value === true}
            onChange={(e) => set(spec.path, e.target.checked)}
          />{' '}
          {spec.label}
        </label>
        {errors.length ? (
          <ul className="field-errors">
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  return (
    <Field label={spec.label} errors={errors} hint={spec.hint}>
      {(p) => {
        switch (spec.kind) {
          case 'textarea':
            return (
              <textarea
                {...p}
                rows={spec.path.endsWith('systemPrompt') ? 6 : 2}
                value={typeof value === 'string' ? value : ''}
                onChange={(e) => set(spec.path, optionalString(e.target.value))}
              />
            );
          case 'select':
            return (
              <select {...p} value={String(value ?? '')} onChange={(e) => set(spec.path, e.target.value)}>
                {spec.options!.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            );
          case 'number':
            return (
              <input
                {...p}
                type="number"
                value={typeof value === 'number' ? value : ''}
                onChange={(e) => set(spec.path, e.target.value === '' ? null : Number(e.target.value))}
              />
            );
          case 'chain':
            return (
              <input
                {...p}
                value={Array.isArray(value) ? value.join(', ') : ''}
                onChange={(e) => {
                  const items = e.target.value
                    .split(',')
                    .map((x) => x.trim())
                    .filter(Boolean);
                  set(spec.path, items.length ? items : null);
                }}
              />
            );
          case 'lines':
            return (
              <textarea
                {...p}
                rows={3}
                value={Array.isArray(value) ? value.join('\n') : ''}
                onChange={(e) =>
                  set(
                    spec.path,
                    e.target.value.split('\n').filter((x) => x.trim()),
                  )
                }
              />
            );
          default:
            return (
              <input
                {...p}
                value={typeof value === 'string' ? value : ''}
                onChange={(e) => set(spec.path, optionalString(e.target.value))}
              />
            );
        }
      }}
    </Field>
  );
}

import { useState } from 'react';
import { type ColourRule, type ColourRules, MAX_COLOUR_RULES, MAX_RULE_EXPRESSION, type RuleProblem } from '../state/colourRules';
import { FilterDialog } from './FilterDialog';

/** A colour that reads as a row background on the dark theme, for a new rule. */
const NEW_RULE_COLOUR = '#7a4a12';

/**
 * Edit the colouring rules: an ordered list of (filter, colour), the first match colours a row.
 * "apply" checks every filter with the capture filter language's parser and refuses the list while
 * any is wrong, showing its message under the rule.
 */
export function ColourRulesDialog({ rules, onClose }: { rules: ColourRules; onClose: () => void }) {
  const [draft, setDraft] = useState<ColourRule[]>(() => [...rules.rules]);
  const [problems, setProblems] = useState<RuleProblem[]>([]);
  const [applied, setApplied] = useState(false);

  const edit = (next: ColourRule[]): void => {
    setDraft(next);
    setApplied(false);
  };
  const change = (index: number, part: Partial<ColourRule>): void => edit(draft.map((rule, i) => (i === index ? { ...rule, ...part } : rule)));
  const move = (index: number, by: -1 | 1): void => {
    const next = [...draft];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    edit(next);
  };
  const apply = (): void => {
    const refused = rules.set(draft);
    setProblems(refused);
    setApplied(refused.length === 0);
  };

  return (
    <FilterDialog title="Colouring rules" testId="colour-rules" onClose={onClose}>
      <p className="muted">A row takes the background of the first rule whose filter it matches (the filter language of docs/CAPTURE.md; text, regex and JSON fields look at the 64-byte preview).</p>
      <ol className="colour-rule-list">
        {draft.map((rule, index) => {
          const problem = problems.find((p) => p.index === index);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a rule is its place in the list; two rules may have the same text.
            <li key={index} className="colour-rule" data-testid="colour-rule">
              <input type="color" value={rule.colour} onChange={(event) => change(index, { colour: event.target.value })} aria-label={`colour of rule ${index + 1}`} data-testid="colour-rule-colour" />
              <input
                className="mono"
                value={rule.expression}
                maxLength={MAX_RULE_EXPRESSION}
                placeholder="kind:error  or  mod:sensor .temp > 30"
                onChange={(event) => change(index, { expression: event.target.value })}
                aria-label={`filter of rule ${index + 1}`}
                aria-invalid={problem !== undefined}
                data-testid="colour-rule-expression"
                spellCheck={false}
              />
              <button type="button" className="small" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`move rule ${index + 1} up`} data-testid="colour-rule-up">
                ↑
              </button>
              <button type="button" className="small" disabled={index === draft.length - 1} onClick={() => move(index, 1)} aria-label={`move rule ${index + 1} down`} data-testid="colour-rule-down">
                ↓
              </button>
              <button type="button" className="small danger" onClick={() => edit(draft.filter((_, i) => i !== index))} aria-label={`delete rule ${index + 1}`} data-testid="colour-rule-delete">
                ✕
              </button>
              {problem !== undefined && (
                <p className="inline-error colour-rule-error" role="alert" data-testid="colour-rule-error">
                  {problem.error}
                </p>
              )}
            </li>
          );
        })}
      </ol>
      {problems.some((p) => p.index >= draft.length) && <p className="inline-error">at most {MAX_COLOUR_RULES} colouring rules</p>}
      <div className="colour-rule-actions">
        <button type="button" className="small" disabled={draft.length >= MAX_COLOUR_RULES} onClick={() => edit([...draft, { expression: '', colour: NEW_RULE_COLOUR }])} data-testid="colour-rule-add">
          + rule
        </button>
        <button type="button" className="primary" onClick={apply} data-testid="colour-rules-apply">
          apply
        </button>
        {applied && (
          <span className="muted" data-testid="colour-rules-applied">
            applied{draft.length === 0 ? ': no rules, rows keep their kind colours' : ''}
          </span>
        )}
      </div>
      {problems.length > 0 && (
        <p className="inline-error" data-testid="colour-rules-refused">
          not applied: fix the rules marked above
        </p>
      )}
      {rules.storageProblem !== null && <p className="warn">{rules.storageProblem}</p>}
      {rules.unreadable > 0 && <p className="warn">{rules.unreadable} stored rules no longer parse and were left out</p>}
    </FilterDialog>
  );
}

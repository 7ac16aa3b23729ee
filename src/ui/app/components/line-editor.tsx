import { Text, type Key } from 'ink';

export type EditAction = 'submit' | 'cancel' | 'edit' | 'ignore';

/**
 * A one-line editor's keys (pure): printable text is appended, backspace deletes, ctrl-u
 * clears, enter submits, esc cancels. Tab and arrows are left to the screen.
 */
export function editLine(value: string, input: string, key: Key): { value: string; action: EditAction } {
  if (key.return) return { value, action: 'submit' };
  if (key.escape) return { value, action: 'cancel' };
  if (key.backspace || key.delete) return { value: value.slice(0, -1), action: 'edit' };
  if (key.ctrl && input === 'u') return { value: '', action: 'edit' };
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return { value, action: 'ignore' };
  // Pasted text arrives whole; line breaks in it become spaces on one line.
  const text = input.replace(/[\r\n]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '');
  return text ? { value: value + text, action: 'edit' } : { value, action: 'ignore' };
}

/** The editor's view: a label, the text and a block cursor (the end of the text shown when long). */
export function LineEditor({ label, value, width, placeholder }: { label: string; value: string; width: number; placeholder?: string }) {
  const room = Math.max(4, width - label.length - 2);
  const shown = value.length > room ? '…' + value.slice(value.length - room + 1) : value;
  return (
    <Text>
      <Text bold color="cyan">{label}</Text>
      <Text> {shown}</Text>
      <Text inverse> </Text>
      {value === '' && placeholder ? <Text dimColor> {placeholder.slice(0, Math.max(0, room - 2))}</Text> : null}
    </Text>
  );
}

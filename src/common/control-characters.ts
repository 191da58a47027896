/**
 * Whether text holds a control character (Unicode Cc: NUL, tab, newline, DEL, C1). No password,
 * name or query value this service takes has one: clients, engines and logs cut or mangle them,
 * so what was stored would not be what its owner types or reads.
 */
export function hasControlCharacter(text: string): boolean {
  return /\p{Cc}/u.test(text);
}

import type { Static } from 'typebox';
import type { DatabaseSpec, UserSpec } from './protocol.js';

export type DatabaseInput = Static<typeof DatabaseSpec>;
export type UserInput = Static<typeof UserSpec>;

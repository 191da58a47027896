/** The roles a user can hold on a project. */
export const ROLE_NAMES = ['admin', 'member', 'reader'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

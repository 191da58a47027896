import { Type, type Static } from 'typebox';

/** A member's address on the cluster's network: the instance's own private IPv4 address. */
const MEMBER_ADDRESS = Type.String({ pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}$' });

/** What a member of a cluster needs to know to start: who the others are, and whether it starts the cluster. */
export const ClusterMembership = Type.Object(
  {
    /** The cluster's own name, the same on every member (its id in the control plane). */
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$' }),
    /** Every member's address, this one's included, in the order the members were made. */
    members: Type.Array(MEMBER_ADDRESS, { minItems: 1, maxItems: 64, uniqueItems: true }),
    /** This member starts a new cluster on its own data; the others join it and receive its data. */
    bootstrap: Type.Boolean(),
    /** What members authenticate to one another with (a state transfer's account); never logged. */
    secret: Type.String({ minLength: 16, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type ClusterMembership = Static<typeof ClusterMembership>;

/** A new list of members: written where the engine reads it at its next start, the running engine untouched. */
export const MembersChange = Type.Object({ members: ClusterMembership.properties.members }, { additionalProperties: false });
export type MembersChange = Static<typeof MembersChange>;

/** A member as the agent that brings it into the cluster is told of it: its address, and the type asked for it. */
export const ClusterNode = Type.Object({ address: MEMBER_ADDRESS, type: Type.String({ pattern: '^[a-z]{1,32}$' }) }, { additionalProperties: false });
export type ClusterNode = Static<typeof ClusterNode>;

/** Members a running member's agent forms into the cluster, or brings into it. */
export const ClusterNodes = Type.Object({ members: Type.Array(ClusterNode, { minItems: 1, maxItems: 64 }) }, { additionalProperties: false });
export type ClusterNodes = Static<typeof ClusterNodes>;

/** How one member sees its cluster. */
export const ClusterMemberStatus = Type.Object({
  /** Members this one is in contact with, itself included. */
  size: Type.Integer(),
  /** The engine's own word for this member's state ("Synced", "Joining", "Donor/Desynced" …). */
  state: Type.String(),
  /** True when it holds all the cluster's data and takes writes. */
  synced: Type.Boolean(),
  /** True when it is in the part of the cluster that holds quorum. */
  primary: Type.Boolean(),
  /** The member's type as the engine sees it now (a replica that was promoted is a primary), for engines whose members differ. */
  type: Type.Optional(Type.String()),
});
export type ClusterMemberStatus = Static<typeof ClusterMemberStatus>;

/** Where a stopped member's data stands in the cluster's history: what a restart of the whole cluster starts from. */
export const ClusterPosition = Type.Object({
  /** The history this member's data belongs to (Galera's state UUID); empty when the engine cannot tell. */
  history: Type.String(),
  /** How far along that history its data goes; -1 when unknown. */
  seqno: Type.Integer(),
  /** The engine itself marks the member that left last, cleanly, as safe to start a new cluster from. */
  safe_to_bootstrap: Type.Boolean(),
});
export type ClusterPosition = Static<typeof ClusterPosition>;

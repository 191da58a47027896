import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceTable } from '../../state/schema.js';
import { mostAdvanced } from './cluster-restart.js';

const member = (id: string) => ({ id }) as InstanceTable;
const at = (id: string, seqno: number, safe = false) => ({ member: member(id), position: { history: 'h', seqno, safe_to_bootstrap: safe } });

describe('choosing where a stopped cluster starts again', () => {
  it('takes the member whose data goes furthest, wherever it is in the list', () => {
    assert.equal(mostAdvanced([at('a', 10), at('b', 42), at('c', 41)])?.id, 'b');
    assert.equal(mostAdvanced([at('a', 42), at('b', 10), at('c', 41, true)])?.id, 'a', "the engine's safe mark does not outweigh a further position");
  });

  it('among equals, the one the engine marked safe, else the first made', () => {
    assert.equal(mostAdvanced([at('a', 42), at('b', 42, true), at('c', 42)])?.id, 'b');
    assert.equal(mostAdvanced([at('a', 42), at('b', 42), at('c', 42)])?.id, 'a');
  });

  it('never a member that cannot tell, and nothing when none can', () => {
    assert.equal(mostAdvanced([at('a', -1, true), at('b', 3)])?.id, 'b');
    assert.equal(mostAdvanced([at('a', -1), at('b', -1)]), undefined);
  });
});

/**
 * What pg_isready asks, without running it: a protocol 3.0 startup message. The server answers
 * an authentication request ('R') or an error ('E'); like pg_isready, any answer means it
 * accepts connections except SQLSTATE 57P03 (starting up, shutting down, in recovery).
 */
export function startupPacket(): Buffer {
  const body = Buffer.from('user\0trove-ping\0database\0postgres\0application_name\0trove-agent-ping\0\0');
  const packet = Buffer.alloc(8 + body.length);
  packet.writeUInt32BE(packet.length, 0);
  packet.writeUInt32BE(196608, 4);
  body.copy(packet, 8);
  return packet;
}

export function acceptsConnections(received: Buffer): boolean | undefined {
  if (received.length < 1) return undefined;
  if (received[0] === 0x52) return true; // 'R': authentication request
  if (received[0] !== 0x45) return false;
  if (received.length < 5 || received.length < 1 + received.readUInt32BE(1)) return undefined;
  // 'E': fields of a one-letter code and a string each; C is the SQLSTATE.
  const fields = received
    .subarray(5, 1 + received.readUInt32BE(1))
    .toString('utf8')
    .split('\0');
  const code = fields.find((f) => f.startsWith('C'))?.slice(1);
  return code !== '57P03';
}

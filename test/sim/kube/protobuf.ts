/**
 * The little protobuf the simulated API server must read: kubectl's typed clients (`kubectl auth can-i`) POST
 * SelfSubjectAccessReview / SelfSubjectRulesReview as `application/vnd.kubernetes.protobuf` (while accepting JSON
 * answers). Decodes the `k8s\0` envelope (runtime.Unknown) and those two messages' request fields, by the field
 * numbers of k8s.io/api/authorization/v1/generated.proto.
 */
import { badRequest } from './kube-status.ts';

type Fields = Map<number, (Buffer | bigint)[]>;

function readVarint(buf: Buffer, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length; i++) {
    const byte = buf[i];
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw badRequest('protobuf: truncated varint');
}

/** Splits a message into its fields (wire types 0, 1, 2, 5). */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let at = 0;
  while (at < buf.length) {
    const key = readVarint(buf, at);
    at = key.next;
    const field = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    let value: Buffer | bigint;
    if (wire === 0) {
      const v = readVarint(buf, at);
      value = v.value;
      at = v.next;
    } else if (wire === 2) {
      const len = readVarint(buf, at);
      const start = len.next;
      const end = start + Number(len.value);
      if (end > buf.length) throw badRequest('protobuf: truncated field');
      value = buf.subarray(start, end);
      at = end;
    } else if (wire === 1) {
      value = buf.subarray(at, at + 8);
      at += 8;
    } else if (wire === 5) {
      value = buf.subarray(at, at + 4);
      at += 4;
    } else throw badRequest(`protobuf: unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

function bytes(f: Fields, n: number): Buffer | undefined {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v : undefined;
}

function str(f: Fields, n: number): string | undefined {
  return bytes(f, n)?.toString('utf8');
}

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes the `k8s\0` envelope: the embedded object's apiVersion, kind and raw message. */
export function decodeEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  if (body.length < 4 || !body.subarray(0, 4).equals(magic)) throw badRequest('protobuf: missing k8s envelope');
  const unknown = fields(body.subarray(4));
  const typeMeta = fields(bytes(unknown, 1) ?? Buffer.alloc(0));
  return { apiVersion: str(typeMeta, 1) ?? '', kind: str(typeMeta, 2) ?? '', raw: bytes(unknown, 2) ?? Buffer.alloc(0) };
}

function drop<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** The JSON form of a protobuf SelfSubjectAccessReview or SelfSubjectRulesReview request. */
export function decodeReview(body: Buffer): Record<string, unknown> {
  const { apiVersion, kind, raw } = decodeEnvelope(body);
  const top = fields(raw);
  const spec = fields(bytes(top, 2) ?? Buffer.alloc(0));
  if (kind === 'SelfSubjectAccessReview') {
    const ra = bytes(spec, 1);
    const nra = bytes(spec, 2);
    const out: Record<string, unknown> = {};
    if (ra) {
      const f = fields(ra);
      out.resourceAttributes = drop({ namespace: str(f, 1), verb: str(f, 2), group: str(f, 3), version: str(f, 4), resource: str(f, 5), subresource: str(f, 6), name: str(f, 7) });
    }
    if (nra) {
      const f = fields(nra);
      out.nonResourceAttributes = drop({ path: str(f, 1), verb: str(f, 2) });
    }
    return { apiVersion, kind, metadata: {}, spec: out };
  }
  if (kind === 'SelfSubjectRulesReview') {
    return { apiVersion, kind, metadata: {}, spec: drop({ namespace: str(spec, 1) }) };
  }
  throw badRequest(`protobuf bodies are not supported for ${kind}`);
}

// cluster-key-slot ships no types: the one function Docket uses (CRC16/XMODEM of the key's hash
// tag, mod 16384, as Redis Cluster computes a key's slot).
declare module "cluster-key-slot" {
  export default function calculateSlot(key: string): number;
}

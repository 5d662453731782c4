package redis

import "strings"

// slotCount is the number of hash slots of a Redis Cluster.
const slotCount = 16384

// crc16Table is the CRC-16/XMODEM table (polynomial 0x1021, initial value
// 0) that Redis Cluster uses to map keys to slots.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(s string) uint16 {
	var c uint16
	for i := 0; i < len(s); i++ {
		c = c<<8 ^ crc16Table[byte(c>>8)^s[i]]
	}
	return c
}

// hashSlot returns the cluster slot of key, honouring hash tags: when the
// key holds "{...}" with at least one byte between the first '{' and the
// next '}', only those bytes are hashed, so "{user:7}.a" and "{user:7}.b"
// share a slot.
func hashSlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if n := strings.IndexByte(key[open+1:], '}'); n > 0 {
			key = key[open+1 : open+1+n]
		}
	}
	return int(crc16(key) % slotCount)
}

// groupBySlot splits keys into groups that share a cluster slot, so each
// group can be sent as one multi-key command (MGET, DEL) to the node that
// owns it. Groups keep the keys' relative order; group order follows the
// first appearance of each slot.
func groupBySlot(keys []string) [][]string {
	index := make(map[int]int)
	var groups [][]string
	for _, k := range keys {
		s := hashSlot(k)
		i, ok := index[s]
		if !ok {
			i = len(groups)
			index[s] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], k)
	}
	return groups
}

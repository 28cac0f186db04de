package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf16"
)

// randomBytes returns n bytes from a seeded generator.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.UintN(256))
	}
	return out
}

// truncated cuts a document: the first share of its bytes.
func truncated(data []byte, share float64) []byte { return data[:int(float64(len(data))*share)] }

// longExport is a time-clock export of a whole year, one page a week for
// five years of workers: more pages than a reader accepts.
func longExport(pages int) []byte {
	var doc pdfDoc
	for p := range pages {
		lines := []string{fmt.Sprintf("EXPORT ANNUEL DES POINTAGES - Entrepôts Dumas - page %d/%d", p+1, pages), ""}
		for i := range 5 {
			lines = append(lines, fmt.Sprintf("Matricule %04d    semaine %02d    %s h", 1000+p, i+1, frDec(35+float64(i%3)/2)))
		}
		doc.pages = append(doc.pages, lines)
	}
	return doc.bytes()
}

// cfb writes a compound file (the OLE container of legacy and encrypted
// Office files), version 3, with streams at its root. Streams under 4096
// bytes go in the mini stream, as the format requires.
func cfb(streams ...[2]string) []byte {
	const (
		sector    = 512
		mini      = 64
		endChain  = 0xFFFFFFFE
		freeSect  = 0xFFFFFFFF
		fatSect   = 0xFFFFFFFD
		noStream  = 0xFFFFFFFF
		dirPerSec = sector / 128
	)
	var fat []uint32
	var body bytes.Buffer // the sectors after the FAT sector
	next := uint32(1)     // sector 0 is the FAT
	chain := func(data []byte) uint32 {
		if len(data) == 0 {
			return endChain
		}
		start := next
		n := (len(data) + sector - 1) / sector
		for i := range n {
			if i == n-1 {
				fat = append(fat, endChain)
			} else {
				fat = append(fat, next+1)
			}
			next++
		}
		body.Write(data)
		body.Write(make([]byte, n*sector-len(data)))
		return start
	}
	// Mini stream and its FAT.
	var ministream bytes.Buffer
	var minifat []uint32
	starts := make([]uint32, len(streams))
	for i, s := range streams {
		if len(s[1]) >= 4096 {
			continue
		}
		starts[i] = uint32(ministream.Len() / mini)
		n := (len(s[1]) + mini - 1) / mini
		for j := range n {
			if j == n-1 {
				minifat = append(minifat, endChain)
			} else {
				minifat = append(minifat, starts[i]+uint32(j)+1)
			}
		}
		ministream.WriteString(s[1])
		ministream.Write(make([]byte, n*mini-len(s[1])))
	}
	// Directory: the root, then one entry per stream, as a right-leaning
	// chain of siblings (valid, if unbalanced): streams must come in the
	// format's order, shorter names first.
	dirEntries := 1 + len(streams)
	dirData := make([]byte, ((dirEntries+dirPerSec-1)/dirPerSec)*sector)
	fat = append(fat, fatSect)
	dirStart := chain(dirData)
	mfData := make([]byte, 4*len(minifat))
	for i, v := range minifat {
		binary.LittleEndian.PutUint32(mfData[4*i:], v)
	}
	miniFATStart := chain(mfData)
	miniStart := chain(ministream.Bytes())
	for i, s := range streams {
		if len(s[1]) >= 4096 {
			starts[i] = chain([]byte(s[1]))
		}
	}
	entry := func(i int, name string, kind byte, right, child, start uint32, size int) {
		e := dirData[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			binary.LittleEndian.PutUint16(e[2*j:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = kind, 1 // black
		binary.LittleEndian.PutUint32(e[68:], noStream)
		binary.LittleEndian.PutUint32(e[72:], right)
		binary.LittleEndian.PutUint32(e[76:], child)
		binary.LittleEndian.PutUint32(e[116:], start)
		binary.LittleEndian.PutUint32(e[120:], uint32(size))
	}
	for i := dirEntries; i < len(dirData)/128; i++ { // unused entries
		binary.LittleEndian.PutUint32(dirData[i*128+68:], noStream)
		binary.LittleEndian.PutUint32(dirData[i*128+72:], noStream)
		binary.LittleEndian.PutUint32(dirData[i*128+76:], noStream)
	}
	entry(0, "Root Entry", 5, noStream, 1, miniStart, ministream.Len())
	for i, s := range streams {
		right := uint32(noStream)
		if i+2 < dirEntries {
			right = uint32(i + 2)
		}
		entry(i+1, s[0], 2, right, noStream, starts[i], len(s[1]))
	}
	// Write the directory again now that it is filled in: chain copied it.
	out := body.Bytes()
	copy(out[(dirStart-1)*sector:], dirData)
	if len(fat) > sector/4 {
		panic("cfb: more than one FAT sector")
	}
	fatData := make([]byte, sector)
	for i := range sector / 4 {
		v := uint32(freeSect)
		if i < len(fat) {
			v = fat[i]
		}
		binary.LittleEndian.PutUint32(fatData[4*i:], v)
	}
	head := make([]byte, sector)
	copy(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(head[24:], 0x003E)
	binary.LittleEndian.PutUint16(head[26:], 3)
	binary.LittleEndian.PutUint16(head[28:], 0xFFFE)
	binary.LittleEndian.PutUint16(head[30:], 9)
	binary.LittleEndian.PutUint16(head[32:], 6)
	binary.LittleEndian.PutUint32(head[44:], 1) // FAT sectors
	binary.LittleEndian.PutUint32(head[48:], dirStart)
	binary.LittleEndian.PutUint32(head[56:], 4096)
	binary.LittleEndian.PutUint32(head[60:], miniFATStart)
	binary.LittleEndian.PutUint32(head[64:], uint32(len(mfData)+sector-1)/sector)
	binary.LittleEndian.PutUint32(head[68:], endChain)
	binary.LittleEndian.PutUint32(head[76:], 0) // DIFAT[0]: the FAT is sector 0
	for i := 1; i < 109; i++ {
		binary.LittleEndian.PutUint32(head[76+4*i:], freeSect)
	}
	return append(append(head, fatData...), out...)
}

// encryptedOOXML is a password-protected Word file: agile encryption
// info and an encrypted package in a compound file, as Office writes it.
func encryptedOOXML(seed uint64) []byte {
	info := "\x04\x00\x04\x00\x40\x00\x00\x00" + `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
		`<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">` +
		`<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="cGFzc3dvcmQtc2FsdC0wMQ=="/>` +
		`<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password"><p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/></keyEncryptor></keyEncryptors></encryption>`
	pkg := make([]byte, 8, 8+12288)
	binary.LittleEndian.PutUint64(pkg, 11893)
	pkg = append(pkg, randomBytes(12288, seed)...)
	return cfb([2]string{"EncryptionInfo", info}, [2]string{"EncryptedPackage", string(pkg)})
}

// legacyWord is a Word 97-2003 file: a compound file with a WordDocument
// stream.
func legacyWord(text string) []byte {
	doc := make([]byte, 0, 8192)
	doc = append(doc, 0xEC, 0xA5, 0xC1, 0x00) // the FIB's magic number
	doc = append(doc, make([]byte, 1020)...)
	doc = append(doc, []byte(strings.ReplaceAll(text, "\n", "\r"))...)
	doc = append(doc, make([]byte, max(0, 8192-len(doc)))...)
	return cfb([2]string{"1Table", string(make([]byte, 1024))}, [2]string{"WordDocument", string(doc)})
}

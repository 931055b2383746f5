package synth

import "strconv"

// Column names, in schema order.
var (
	citizenColumns = [...]string{"person_id", "name", "id_number", "phone", "gender", "birth_date", "district", "income", "diagnosis_code"}
	benefitColumns = [...]string{"person_id", "program", "amount", "paid_on"}
)

func csvHeader(t Table) []byte {
	cols := citizenColumns[:]
	if t == Benefits {
		cols = benefitColumns[:]
	}
	var b []byte
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, c)
	}
	return append(b, '\n')
}

// appendCSVField appends s, quoted only when it holds a comma, quote, CR or
// LF (RFC 4180).
func appendCSVField[S string | []byte](dst []byte, s S) []byte {
	quote := false
	for i := range len(s) {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := range len(s) {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// appendJSONString appends s as a JSON string. Only '"', '\\' and control
// characters are escaped; other UTF-8 is copied as is.
func appendJSONString[S string | []byte](dst []byte, s S) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendCents appends a fen amount as a decimal with two places.
func appendCents(dst []byte, cents int64) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		cents = -cents
	}
	dst = strconv.AppendInt(dst, cents/100, 10)
	return append(dst, '.', byte('0'+cents/10%10), byte('0'+cents%10))
}

// fixed appends n bytes to dst and returns the grown slice and the new
// bytes, for the put* helpers.
func fixed(dst []byte, n int) ([]byte, []byte) {
	l := len(dst)
	dst = append(dst, make([]byte, n)...)
	return dst, dst[l:]
}

func (c *citizenBatch) appendCSV(dst []byte) []byte {
	var f []byte
	for i := range c.n {
		dst, f = fixed(dst, 12)
		putPersonID(f, c.pid[i])
		dst = append(dst, ',')
		dst = appendCSVField(dst, c.nameOf(i))
		dst = append(dst, ',')
		dst, f = fixed(dst, 18)
		c.putIDNumber(f, i)
		dst = append(dst, ',')
		dst = strconv.AppendUint(dst, c.phone[i], 10)
		dst = append(dst, ',')
		dst = append(dst, genderOf(c.male[i])...)
		dst = append(dst, ',')
		dst, f = fixed(dst, 10)
		putYMD(f, c.ymd[i])
		dst = append(dst, ',')
		dst = append(dst, districts[c.district[i]].name...)
		dst = append(dst, ',')
		if c.income[i] >= 0 {
			dst = strconv.AppendInt(dst, c.income[i], 10)
		}
		dst = append(dst, ',')
		if c.diag[i] >= 0 {
			dst = append(dst, diagnoses[c.diag[i]].code...)
		}
		dst = append(dst, '\n')
	}
	return dst
}

func (c *citizenBatch) appendNDJSON(dst []byte) []byte {
	var f []byte
	for i := range c.n {
		dst = append(dst, `{"person_id":"`...)
		dst, f = fixed(dst, 12)
		putPersonID(f, c.pid[i])
		dst = append(dst, `","name":`...)
		dst = appendJSONString(dst, c.nameOf(i))
		dst = append(dst, `,"id_number":"`...)
		dst, f = fixed(dst, 18)
		c.putIDNumber(f, i)
		dst = append(dst, `","phone":"`...)
		dst = strconv.AppendUint(dst, c.phone[i], 10)
		dst = append(dst, `","gender":"`...)
		dst = append(dst, genderOf(c.male[i])...)
		dst = append(dst, `","birth_date":"`...)
		dst, f = fixed(dst, 10)
		putYMD(f, c.ymd[i])
		dst = append(dst, `","district":"`...)
		dst = append(dst, districts[c.district[i]].name...)
		dst = append(dst, `","income":`...)
		if c.income[i] >= 0 {
			dst = strconv.AppendInt(dst, c.income[i], 10)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"diagnosis_code":`...)
		if c.diag[i] >= 0 {
			dst = appendJSONString(dst, diagnoses[c.diag[i]].code)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, "}\n"...)
	}
	return dst
}

func (bb *benefitBatch) appendCSV(dst []byte) []byte {
	var f []byte
	for i := range bb.n {
		dst, f = fixed(dst, 12)
		putPersonID(f, bb.pid[i])
		dst = append(dst, ',')
		dst = appendCSVField(dst, programs[bb.program[i]].s)
		dst = append(dst, ',')
		dst = appendCents(dst, bb.cents[i])
		dst = append(dst, ',')
		dst, f = fixed(dst, 10)
		putISODate(f, bb.paid[i])
		dst = append(dst, '\n')
	}
	return dst
}

func (bb *benefitBatch) appendNDJSON(dst []byte) []byte {
	var f []byte
	for i := range bb.n {
		dst = append(dst, `{"person_id":"`...)
		dst, f = fixed(dst, 12)
		putPersonID(f, bb.pid[i])
		dst = append(dst, `","program":`...)
		dst = appendJSONString(dst, programs[bb.program[i]].s)
		dst = append(dst, `,"amount":`...)
		dst = appendCents(dst, bb.cents[i])
		dst = append(dst, `,"paid_on":"`...)
		dst, f = fixed(dst, 10)
		putISODate(f, bb.paid[i])
		dst = append(dst, "\"}\n"...)
	}
	return dst
}

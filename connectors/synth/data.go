package synth

// The lists below are the vocabulary of the generator. Weights are relative
// and only approximate public statistics; they exist to give realistic skew,
// not to model Zhaoqing faithfully. Changing any list changes the output.

// district is one county-level division of Zhaoqing.
type district struct {
	name   string
	code   string  // GB/T 2260 region code, the first 6 digits of an ID number
	weight float64 // share of the population
	income float64 // median annual household income, yuan
}

var districts = [...]district{
	{"端州区", "441202", 0.17, 92000},
	{"鼎湖区", "441203", 0.08, 78000},
	{"高要区", "441204", 0.19, 70000},
	{"四会市", "441284", 0.16, 82000},
	{"广宁县", "441223", 0.11, 52000},
	{"怀集县", "441224", 0.14, 48000},
	{"封开县", "441225", 0.07, 45000},
	{"德庆县", "441226", 0.08, 50000},
}

type weighted struct {
	s string
	w float64
}

// surnames, weighted towards the distribution found in western Guangdong.
var surnames = [...]weighted{
	{"陈", 95}, {"李", 70}, {"黄", 65}, {"梁", 55}, {"张", 50}, {"刘", 42}, {"林", 40},
	{"何", 35}, {"王", 34}, {"吴", 32}, {"罗", 30}, {"杨", 30}, {"冯", 25}, {"郑", 22},
	{"谢", 20}, {"周", 20}, {"邓", 20}, {"叶", 18}, {"莫", 16}, {"麦", 15}, {"苏", 15},
	{"钟", 15}, {"曾", 14}, {"潘", 14}, {"朱", 14}, {"卢", 13}, {"蔡", 12}, {"徐", 11},
	{"许", 11}, {"欧", 10}, {"邱", 10}, {"赵", 10}, {"胡", 10}, {"谭", 10}, {"关", 9},
	{"彭", 9}, {"伍", 9}, {"余", 9}, {"郭", 9}, {"廖", 9}, {"孙", 8}, {"马", 8},
	{"高", 8}, {"温", 7}, {"江", 7}, {"方", 7}, {"严", 6}, {"韦", 6}, {"唐", 6},
	{"沈", 5}, {"姚", 5}, {"孔", 5}, {"范", 5}, {"宋", 5}, {"袁", 5}, {"陆", 5},
	{"邹", 5}, {"萧", 5}, {"甘", 4}, {"区", 4}, {"侯", 4}, {"易", 4}, {"汤", 4},
	{"熊", 4}, {"程", 4}, {"丁", 4}, {"魏", 4}, {"石", 4}, {"文", 4}, {"欧阳", 4},
	{"卓", 3}, {"颜", 3}, {"植", 3}, {"岑", 3}, {"孟", 3}, {"柯", 3}, {"金", 3},
	{"傅", 3}, {"任", 3}, {"姜", 3}, {"戴", 3}, {"董", 3}, {"于", 3}, {"龚", 3},
	{"庞", 3}, {"劳", 3}, {"韩", 3}, {"司徒", 3}, {"崔", 2}, {"贺", 2}, {"简", 2},
	{"聂", 2}, {"史", 2}, {"白", 2}, {"夏", 2}, {"田", 2}, {"翁", 2}, {"利", 2},
	{"司马", 0.5}, {"上官", 0.3}, {"诸葛", 0.2}, {"慕容", 0.1},
}

// Given-name characters, most frequent first; weights fall off as 1/(i+8).
const (
	maleGiven   = "伟强军杰磊勇涛明辉华建国志文斌俊宇浩鹏健荣海东锋亮平兵超波家耀锦森智永嘉豪铭轩泽峰振德成坤晖权祥昌源"
	femaleGiven = "芳娜敏静丽秀英燕玲婷霞艳红梅兰琳洁莹慧颖欣怡佳雪倩丹萍凤珍惠淑琴诗雅晓思月桂彩美玉妍婉琪蓉"
)

// ageBands gives the population share of 5-year age bands, 0-4 to 95-99,
// then the single year 100.
var ageBands = [...]float64{
	5.5, 6.5, 6.0, 5.3, 5.6, 6.5, 8.5, 7.5, 7.0, 7.8,
	8.2, 6.8, 5.0, 5.0, 3.6, 2.3, 1.5, 0.8, 0.3, 0.08, 0.01,
}

// Mobile prefixes of the three operators, weighted by rough market share.
var phonePrefixes = [...]weighted{
	{"134", 3}, {"135", 6}, {"136", 6}, {"137", 6}, {"138", 8}, {"139", 8},
	{"130", 4}, {"131", 4}, {"132", 3}, {"133", 4},
	{"150", 4}, {"151", 3}, {"152", 3}, {"153", 2}, {"155", 2}, {"156", 2},
	{"157", 2}, {"158", 4}, {"159", 4},
	{"170", 0.5}, {"172", 0.5}, {"173", 1}, {"175", 1}, {"176", 1}, {"177", 1}, {"178", 1},
	{"180", 2}, {"181", 2}, {"182", 3}, {"183", 2}, {"184", 1}, {"185", 2}, {"186", 3},
	{"187", 3}, {"188", 3}, {"189", 3},
	{"147", 0.5}, {"166", 1}, {"191", 0.5}, {"198", 1}, {"199", 1.5},
}

// diagnosis is an ICD-10 code with its weight and who can carry it.
type diagnosis struct {
	code    string
	w       float64
	minAge  int
	maxAge  int  // inclusive; 0 means no upper bound
	sex     byte // 'M', 'F' or 0 for both
	chronic bool // weight rises with age
}

var diagnoses = [...]diagnosis{
	{code: "I10", w: 14, minAge: 35, chronic: true},
	{code: "J06.9", w: 10},
	{code: "E11.9", w: 9, minAge: 35, chronic: true},
	{code: "K29.7", w: 6},
	{code: "E78.5", w: 5, minAge: 35, chronic: true},
	{code: "M54.5", w: 5, minAge: 18},
	{code: "J45.9", w: 3},
	{code: "J18.9", w: 3},
	{code: "I25.1", w: 3, minAge: 35, chronic: true},
	{code: "K21.9", w: 3, minAge: 18},
	{code: "H52.1", w: 3},
	{code: "N39.0", w: 2.5},
	{code: "J44.9", w: 2.5, minAge: 35, chronic: true},
	{code: "M17.9", w: 2.5, minAge: 35, chronic: true},
	{code: "J30.4", w: 2.5},
	{code: "I63.9", w: 2, minAge: 35, chronic: true},
	{code: "M81.0", w: 2, minAge: 35, chronic: true},
	{code: "H25.9", w: 2, minAge: 35, chronic: true},
	{code: "A09", w: 2},
	{code: "B18.1", w: 2, minAge: 18},
	{code: "Z00.0", w: 2},
	{code: "F32.9", w: 1.5, minAge: 12},
	{code: "G43.9", w: 1.5, minAge: 12},
	{code: "N40", w: 1.5, minAge: 35, sex: 'M', chronic: true},
	{code: "L20.9", w: 1.5},
	{code: "D50.9", w: 1.5},
	{code: "E03.9", w: 1.2, minAge: 18},
	{code: "K80.2", w: 1.2, minAge: 18},
	{code: "E66.9", w: 1},
	{code: "R51", w: 1},
	{code: "D56.9", w: 0.8},
	{code: "N18.9", w: 0.8, minAge: 35, chronic: true},
	{code: "O80", w: 0.8, minAge: 18, maxAge: 45, sex: 'F'},
	{code: "I48", w: 0.6, minAge: 35, chronic: true},
	{code: "I50.9", w: 0.6, minAge: 35, chronic: true},
	{code: "K35.8", w: 0.5},
	{code: "C22.0", w: 0.4, minAge: 35, chronic: true},
	{code: "C34.9", w: 0.4, minAge: 35, chronic: true},
	{code: "G40.9", w: 0.4},
	{code: "S52.5", w: 0.4},
	{code: "C11.9", w: 0.3, minAge: 18, chronic: true},
	{code: "F20.9", w: 0.3, minAge: 18},
}

// diagAgeGroups are the lower bounds of the age groups used to pick a
// diagnosis, with the probability that a person of the group has one.
var diagAgeGroups = [...]struct {
	from int
	p    float64
}{{0, 0.30}, {12, 0.30}, {18, 0.32}, {35, 0.40}, {46, 0.46}, {60, 0.62}}

// Benefit programs.
const (
	progDibao      = iota // 最低生活保障, minimum living allowance
	progMedical           // 医疗救助, medical assistance
	progElderly           // 高龄津贴, old-age allowance (80+)
	progUnemployed        // 失业保险金, unemployment insurance (16-59)
	progHousing           // 住房补贴, housing subsidy
	progDisability        // 残疾人两项补贴, disability subsidies
	numPrograms
)

var programs = [numPrograms]weighted{
	progDibao:      {"最低生活保障", 25},
	progMedical:    {"医疗救助", 20},
	progElderly:    {"高龄津贴", 12},
	progUnemployed: {"失业保险金", 15},
	progHousing:    {"住房补贴", 20},
	progDisability: {"残疾人两项补贴", 6},
}

// benefitCounts weights the number of benefit rows per citizen, 0 to 6;
// the mean is about 1.5.
var benefitCounts = [...]float64{40, 20, 15, 10, 7, 5, 3}

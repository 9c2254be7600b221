package enduser

import "strings"

// commonPasswords are passwords and password stems that attackers try
// first: the top of the lists published after large breaches, written down
// from memory (Roster ships no downloaded list), plus the words people most
// often build passwords from ("summer" for "Summer2024!"). checkPassword
// refuses a password that is one of them, or one of them with digits and
// symbols around it. A few hundred entries catch the guesses that matter
// most; a longer list would catch more, and can replace this one.
var commonPasswords = wordSet(`
password passw0rd p@ssword p@ssw0rd pa55word pass1234 password1 password12 password123
password1234 mypassword newpassword yourpassword thepassword 1password passwort motdepasse
contrasena senha parola wachtwoord salasana haslo
123456 1234567 12345678 123456789 1234567890 12345678910 0123456789 0987654321 987654321
87654321 7654321 654321 11111111 111111111 1111111111 00000000 000000000 22222222 33333333
44444444 55555555 66666666 77777777 88888888 99999999 12121212 11223344 12341234 123123123
12344321 123321123 147258369 147852369 159753456 159357 741852963 963852741 123654789
112233445566 123qweasd 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx 1qazxsw2 zaq12wsx zaq1zaq1
qazwsxedc qweasdzxc qwertyui qwertyuiop qwerty qwerty12 qwerty123 qwerty1234 q1w2e3r4
q1w2e3r4t5 qwer1234 1234qwer asdf1234 asdfghjk asdfghjkl zxcvbnm zxcvbnm1 zxcvbnm123 azerty
azertyuiop qwertz qwertzuiop abc123 abc12345 abcd1234 abcdefg abcdefgh aa123456 a1b2c3d4
a123456789 aaaaaaaa qweqweqwe asdasdasd zxczxczxc 1qaz2wsx3edc
admin admin123 admin1234 administrator root toor guest guest123 user user1234 login
letmein letmein1 welcome welcome1 welcome123 changeme changeme123 default secret secret123
test test123 test1234 testing temp temp1234 temppass access access14 master master123
iloveyou iloveyou1 iloveu loveyou loveme lovely lover love trustno1 trustme whatever
whatever1 nothing anything something everything nobody someone myself private personal
secure security protected confidential system server network database oracle mysql postgres
linux ubuntu windows android computer internet online google facebook linkedin twitter
instagram youtube microsoft macintosh samsung iphone blackberry nokia motorola huawei xiaomi
sony toshiba lenovo dell playstation xbox360 nintendo minecraft fortnite roblox pokemon
zelda mario sonic starwars startrek ncc1701 thx1138 matrix
dragon monkey shadow master sunshine princess football baseball basketball volleyball
softball soccer hockey tennis golfer swimming skateboard snowboard superman batman spiderman
ironman wolverine captain marvel avengers hulk thor loki gandalf frodo hobbit harrypotter
hogwarts voldemort darkness phoenix tiger lion eagle falcon hawk wolf bear panther jaguar
cobra viper python rabbit turtle dolphin butterfly kitten puppy doggie kitty snoopy garfield
scooby mickey minnie donald goofy simba nemo elmo barbie tinkerbell cinderella rainbow
unicorn sparkle glitter angel angels heaven paradise forever always together ihateyou
believe faith peace freedom liberty justice patriot soldier warrior knight wizard magic
merlin legend hero champion winner victory success power energy thunder lightning storm
hurricane tornado ocean river mountain forest nature garden flower rose lily daisy tulip
cherry strawberry blueberry raspberry peaches mango lemon coconut pineapple chocolate vanilla
caramel candy sugar honey cookie cupcake muffin pancake pizza burger hotdog chicken bacon
cheese coffee whiskey vodka tequila beer guinness cocacola pepsi redbull
jesus christ blessed jesus1 god godisgood heaven1 angel1
money lucky hello hithere goodbye hello123 hellokitty babygirl baby cutie pretty beautiful
sexy hottie flower1 sweet sweetie sweetheart darling honey1 family friends friend
fuckyou fuckoff asshole bitch pussy 696969 blink182 metallica slipknot nirvana eminem beatles
summer winter spring autumn monday friday sunday january february march april june july
august september october november december holiday vacation weekend
school college university student teacher doctor london paris berlin chelsea liverpool
arsenal barcelona madrid manchester america canada mexico brazil australia
mustang corvette ferrari porsche mercedes yamaha harley ranger hunter hunter2 buster
tigger pepper ginger maggie bailey charlie buddy jack max rocky killer cowboy cowboys
yankees lakers steelers packers eagles dallas
michael jennifer jessica ashley amanda daniel david james john robert joseph thomas charles
matthew andrew joshua christopher anthony william richard steven kevin brian jason justin
ryan eric nicholas jonathan brandon samuel benjamin alexander patrick jordan tyler austin
mary patricia linda barbara elizabeth susan sarah karen nancy lisa betty sandra margaret
michelle emily melissa stephanie rebecca laura amber nicole samantha victoria natalie hannah
olivia sophia isabella charlotte amelia harper evelyn abigail madison chloe lauren rachel
heather danielle brittany kimberly alexis alexandra diana maria anna sophie lucy emma
george andrea joshua1 michael1 jennifer1 jordan23 football1 baseball1 princess1 sunshine1
superman1 batman123 starwars1 monkey123 dragon123 computer1 internet1 iloveyou2
opensesame abracadabra qwerty1 qwerty7 qwertyu asdfgh asdfasdf zxcvzxcv
roster
`)

// wordSet turns a space-separated list into a set.
func wordSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

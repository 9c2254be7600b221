package seed

// The lists the generator draws from. Every entry goes into COPY text
// unescaped, so none may hold a tab, a newline or a backslash (a test checks),
// and none may hold a double quote where it ends up inside JSON.

// Given and family names with a few accents and apostrophes, so search and
// case folding meet more than ASCII. emailPart turns them into email text.
var givenNames = []string{
	"Ada", "Adrian", "Aisha", "Alejandro", "Amara", "Amelia", "Ana", "Andrei",
	"Anna", "Arjun", "Ben", "Camille", "Carlos", "Chen", "Chloé", "Daniel",
	"David", "Elena", "Emma", "Fatima", "Felix", "Grace", "Hannah", "Hiroshi",
	"Ines", "Isabel", "Ivan", "Jack", "James", "Javier", "Jonas", "José",
	"Julia", "Kenji", "Lars", "Laura", "Leila", "Liam", "Lucas", "Lucía",
	"Maria", "Mateo", "Mei", "Mohammed", "Nadia", "Noah", "Olivia", "Omar",
	"Oscar", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Søren",
	"Tom", "Wei", "Yara", "Yusuf", "Zoë", "Émile", "Chiara", "Kwame",
}

var familyNames = []string{
	"Adams", "Ahmed", "Andersen", "Becker", "Bianchi", "Brown", "Chen", "Costa",
	"Dubois", "Dimitrov", "Eriksson", "Fernández", "Fischer", "García", "Gonzalez", "Gupta",
	"Hansen", "Hernández", "Ito", "Jansen", "Johnson", "Kim", "Kowalski", "Kumar",
	"Lee", "Lopez", "Martin", "Martínez", "Meyer", "Moreau", "Müller", "Nakamura",
	"Nguyen", "Novak", "O'Brien", "Okafor", "Olsen", "Park", "Patel", "Petrov",
	"Popescu", "Rossi", "Santos", "Sato", "Schmidt", "Silva", "Singh", "Smith",
	"Suzuki", "Tanaka", "Taylor", "Thompson", "Van der Berg", "Wagner", "Walker", "Wang",
	"Weber", "Williams", "Wilson", "Wójcik", "Yamamoto", "Young", "Zhang", "Ødegaard",
}

// Email domains under names reserved for examples (RFC 2606), so no seeded
// address can reach a real inbox.
var emailDomains = []string{
	"example.com", "example.org", "example.net", "acme.example",
	"globex.example", "initech.example", "umbrella.example", "hooli.example",
	"stark.example", "wayne.example", "wonka.example", "tyrell.example",
	"cyberdyne.example", "soylent.example", "vandelay.example", "mail.example",
}

// Organization names are built as "<first> <second>[ <suffix>]".
var orgFirstWords = []string{
	"Acme", "Apex", "Atlas", "Aurora", "Beacon", "Blue", "Bright", "Cedar",
	"Cobalt", "Crimson", "Delta", "Evergreen", "Falcon", "Frontier", "Golden", "Granite",
	"Harbor", "Helix", "Horizon", "Iron", "Juniper", "Keystone", "Lumen", "Maple",
	"Meridian", "Nimbus", "North", "Nova", "Oak", "Orbit", "Pacific", "Pine",
	"Pioneer", "Polar", "Quantum", "Red", "Redwood", "Ridge", "Silver", "Solar",
	"Summit", "Terra", "Tidal", "Union", "Vertex", "Vista", "West", "Zenith",
}

var orgSecondWords = []string{
	"Analytics", "Bank", "Biotech", "Capital", "Cloud", "Consulting", "Data", "Design",
	"Dynamics", "Energy", "Foods", "Freight", "Games", "Health", "Industries", "Insurance",
	"Labs", "Logistics", "Media", "Medical", "Motors", "Networks", "Partners", "Pharma",
	"Robotics", "Security", "Software", "Solutions", "Studios", "Systems", "Technologies", "Ventures",
}

var orgSuffixes = []string{"", "", "", "", "Inc", "Ltd", "LLC", "GmbH", "SA", "AB", "BV", "Group"}

var locales = []string{"en-US", "en-US", "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "nl-NL", "sv-SE", "it-IT"}

var departments = []string{"Engineering", "Sales", "Marketing", "Finance", "Support", "Legal", "Operations", "People"}

var teams = []string{"platform", "growth", "billing", "mobile", "data", "security", "design", "infra"}

var plans = []string{"free", "starter", "team", "business", "enterprise"}

var regions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}

// Identity kinds members last signed in with, the common ones repeated to
// weight the draw.
var signInProviders = []string{"EMAIL", "EMAIL", "EMAIL", "GOOGLE", "GOOGLE", "MICROSOFT", "PASSWORD", "PASSWORD", "GITHUB"}

var ssoProviders = []string{"OKTA", "MICROSOFT_AD", "CUSTOM"}

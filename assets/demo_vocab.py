"""Word lists and sentence templates for the synthetic sentiment demo data.

All text here was written for greentui; it is used only by make_demo_assets.py.

Design notes (why the lists look the way they do):
* Sentiment adjectives come in two strengths so that the label depends on a
  weighted mix of cues rather than on any single word.
* Positive and negative cue templates share the same frames ("The {aspect} was
  {adj}."), so sentence shape carries no label information.
* Plot sentences deliberately reuse polar words about *characters* ("a cruel
  landlord", "a wonderful summer") so that those words are not pure label
  giveaways for a bag-of-words model; they carry no weight in the label.
"""

# --- neutral building blocks ---------------------------------------------------
TITLE_A = ["The Silent", "The Last", "Northern", "Broken", "The Hidden", "Paper",
           "The Long", "Midnight", "Glass", "The Second", "Burning", "Lonely",
           "The Iron", "Velvet", "Distant", "The Quiet", "Crooked", "Winter"]
TITLE_B = ["Harbor", "Letter", "Orchard", "Signal", "Kingdom", "Summer", "Engine",
           "Garden", "Witness", "Mirror", "Station", "Circus", "Frontier",
           "Lighthouse", "Bridge", "Season", "Promise", "Archive"]
GENRES = ["thriller", "comedy", "drama", "horror film", "romance", "war film",
          "science fiction film", "western", "mystery", "musical", "heist film",
          "family film", "crime drama", "documentary", "coming-of-age story"]
NAMES = ["Anna", "Marcus", "Lena", "Tomas", "Grace", "Hugo", "Mira", "Daniel",
         "Priya", "Oscar", "Ruth", "Felix", "Nadia", "Walter", "Ines", "Jonah",
         "Clara", "Victor", "Sofia", "Elias", "Maya", "Arthur", "Yara", "Simon"]
ROLES = ["retired teacher", "young nurse", "small-town mechanic", "police detective",
         "struggling painter", "ship captain", "night-shift cook", "journalist",
         "former boxer", "lighthouse keeper", "farmer", "lawyer", "pilot",
         "music student", "widowed baker", "bank clerk", "scientist", "priest"]
PLACES = ["a fishing village", "nineteen-fifties Chicago", "a mining town",
          "a crowded hospital", "a remote island", "the suburbs of Lyon",
          "an abandoned hotel", "a space station", "a border town",
          "a boarding school", "a failing circus", "the Scottish highlands"]
GOALS = ["find a missing sister", "pay off an old debt", "win back the family farm",
         "solve a string of robberies", "escape a controlling father",
         "finish a symphony", "reunite a broken band", "uncover a company secret",
         "survive one brutal winter", "protect a stranger", "open a restaurant",
         "learn the truth about a shipwreck"]
OBSTACLES = ["a cruel landlord", "a jealous brother", "a storm that will not end",
             "a corrupt mayor", "a wonderful summer that ends too soon",
             "a terrible secret from the war", "a charming con artist",
             "a bitter rival", "a dull job that eats every day",
             "a gang of smugglers", "a brilliant but lonely neighbour",
             "an awful accident"]
WHEN = ["last weekend", "on a rainy Tuesday", "with my brother", "on a long flight",
        "at a small festival", "after a friend insisted", "late at night",
        "with my parents", "at the old cinema downtown", "on a streaming service"]

# Sentences that say nothing about quality (plot, context, trivia).
FILLER = [
    "I watched {title} {when}.",
    "{title} is a {genre} set in {place}.",
    "The story follows {name}, a {role} who wants to {goal}.",
    "Standing in the way is {obstacle}.",
    "{name} meets {name2}, a {role2}, and they agree to work together.",
    "Most of the film takes place in {place}.",
    "The film runs a little under two hours.",
    "It was shot over one summer, according to the credits.",
    "Halfway through, {name} has to choose between the past and the future.",
    "There is a subplot about {name2} trying to {goal2}.",
    "The plot also involves {obstacle2}.",
    "I went in knowing almost nothing about it.",
    "The trailer had made me expect a {genre}.",
    "My {relative} had already seen it twice.",
    "The last scene takes place at a train station.",
    "Without spoiling much, {name} learns something about {name2}.",
    "The soundtrack mixes old jazz records with new songs.",
    "It is based on a novel I have not read.",
    "The director also made a {genre} a few years ago.",
    "Several scenes were filmed at night in {place}.",
    "The movie opens with a flashback to {name} as a child.",
    "A big part of the middle section is a road trip.",
    "{name} is played by an actor I did not recognise.",
    "The second half shifts its focus to {name2}.",
    "I saw it in a half-empty room.",
    "There are two scenes after the credits.",
]
RELATIVES = ["sister", "father", "neighbour", "cousin", "roommate", "aunt"]

# --- sentiment cues ---------------------------------------------------------------
ASPECTS = ["acting", "script", "music", "camera work", "pacing", "dialogue", "ending",
           "lead performance", "supporting cast", "villain", "set design", "editing",
           "humor", "visual effects", "costumes", "first act", "final twist",
           "direction", "story", "chemistry between the leads", "cinematography"]

# Adjectives by (polarity, strength). Strength 2 words move the score twice as much.
ADJ = {
    (+1, 1): ["good", "solid", "decent", "enjoyable", "charming", "clever", "nice",
              "engaging", "likable", "pleasant", "funny", "touching", "fresh"],
    (+1, 2): ["brilliant", "superb", "outstanding", "wonderful", "stunning",
              "masterful", "gripping", "unforgettable", "excellent", "beautiful"],
    (-1, 1): ["bad", "weak", "dull", "boring", "bland", "clumsy", "flat",
              "forgettable", "messy", "tedious", "predictable", "silly", "stiff"],
    (-1, 2): ["awful", "terrible", "dreadful", "painful", "unbearable", "atrocious",
              "disastrous", "horrible", "embarrassing", "pathetic"],
}
INTENSIFIERS = ["", "", "", "really ", "truly ", "quite ", "very ", "rather "]

# Verbs as (past, base) pairs so that negated forms ("did not enjoy") read well.
VERBS = {
    +1: [("loved", "love"), ("enjoyed", "enjoy"), ("admired", "admire"),
         ("liked", "like"), ("appreciated", "appreciate")],
    -1: [("hated", "hate"), ("disliked", "dislike"), ("resented", "resent"),
         ("regretted", "regret")],
}

# Plain cue frames: {a} = aspect, {i} = intensifier, {adj} = adjective.
CUE_PLAIN = [
    "The {a} was {i}{adj}.",
    "I found the {a} {i}{adj}.",
    "Honestly, the {a} is {i}{adj}.",
    "The {a} felt {i}{adj} to me.",
    "As for the {a}, it was {i}{adj}.",
    "Everyone around me agreed the {a} was {adj}.",
]
# Negated frames flip the polarity of the adjective inside them. The negator sits
# right before the polar word on purpose: a small model can learn that locally,
# while a bag of words cannot tell "not boring" from "boring".
CUE_NEGATED = [
    "The {a} was not {adj}.",
    "The {a} was never {adj}.",
    "Honestly, the {a} is not {adj}.",
    "The {a} was far from {adj}.",
    "I found the {a} hardly {adj}.",
    "The {a} is not {adj} at all.",
]
VERB_PLAIN = ["I {past} the {a}.", "I really {past} the {a}.",
              "To be honest, I {past} the {a}."]
VERB_NEGATED = ["I did not {base} the {a}.", "I never {past} the {a}.",
                "To be honest, I did not {base} the {a}."]
# Two cues in one sentence, joined by a contrast word.
CONTRAST = ["{s1}, but {s2}.", "Although {s1}, {s2}.", "{s1}; on the other hand, {s2}.",
            "{s1}, and yet {s2}."]
CLAUSE_PLAIN = ["the {a} was {i}{adj}", "the {a} felt {i}{adj}", "I thought the {a} was {adj}"]
CLAUSE_NEGATED = ["the {a} was not {adj}", "the {a} was never {adj}"]

# Overall verdicts weigh more than single cues (score +-2), negatable too.
VERDICT = {
    +1: ["Overall, I would recommend it.", "I would happily watch it again.",
         "It is worth the ticket.", "All in all, the film is {adj}.",
         "I left the cinema smiling.", "I would not hesitate to see it again."],
    -1: ["Overall, I would not recommend it.", "I would never watch it again.",
         "It is not worth the ticket.", "All in all, the film is {adj}.",
         "I left the cinema annoyed.", "I would hesitate to see it again."],
}

//! IRIs of the Tupu vocabulary (`ontologies/tupu.ttl`) and the standard terms Tupu reads.
//!
//! The vocabulary is the contract between the store, the importers and the compiled
//! snapshot: a term used in code must be declared, labelled and commented in `tupu.ttl`.

use oxigraph::model::NamedNodeRef;

/// Namespace of the Tupu vocabulary.
pub const TUPU_NS: &str = "https://w3id.org/tupu/ns#";
/// Prefix of the named graphs Tupu mints for framework names given without an IRI.
pub const GRAPH_NS: &str = "https://w3id.org/tupu/graph/";
/// Named graph that holds the core vocabulary.
pub const VOCABULARY_GRAPH: &str = "https://w3id.org/tupu/graph/tupu";
/// Named graph that holds the store's own bookkeeping (the commit count).
pub const META_GRAPH: &str = "https://w3id.org/tupu/graph/meta";
/// Named graph that holds the SHACL shapes every commit is validated against.
pub const SHAPES_GRAPH: &str = "https://w3id.org/tupu/graph/shapes";

macro_rules! terms {
    ($ns:literal; $($(#[$doc:meta])* $name:ident = $local:literal),* $(,)?) => {
        $(
            $(#[$doc])*
            pub const $name: NamedNodeRef<'static> = NamedNodeRef::new_unchecked(concat!($ns, $local));
        )*
    };
}

/// Terms of the Tupu namespace.
pub mod tupu {
    use super::NamedNodeRef;

    /// The learner model's parameters of a knowledge point, as `fit-bkt` stores them: BKT's
    /// prior, learn, slip, guess and forget, the ability weight and the half-life.
    pub const LEARNER_MODEL: [NamedNodeRef<'static>; 7] =
        [BKT_PRIOR, BKT_LEARN, BKT_SLIP, BKT_GUESS, BKT_FORGET, BKT_ABILITY, BKT_HALF_LIFE];

    terms! { "https://w3id.org/tupu/ns#";
        /// Class: smallest teachable unit of a curriculum.
        KNOWLEDGE_POINT = "KnowledgePoint",
        /// Class: what a learner can do.
        COMPETENCY = "Competency",
        /// Class: a course, textbook or unit.
        COURSE = "Course",
        /// Class: a degree programme.
        MAJOR = "Major",
        /// Class: a short programme of courses.
        MICRO_MAJOR = "MicroMajor",
        /// Class: an occupation of a classification.
        OCCUPATION = "Occupation",
        /// Class: a concrete job posting.
        POST = "Post",
        /// Class: a learning resource.
        RESOURCE = "Resource",
        /// Class: a curriculum or competency framework at one release.
        FRAMEWORK = "Framework",
        /// Class: qualification of a `supports` edge.
        SUPPORT = "Support",
        /// Class: qualification of a `develops` edge.
        DEVELOPMENT = "Development",
        /// Class: qualification of a `requiresCompetency` edge.
        COMPETENCY_REQUIREMENT = "CompetencyRequirement",

        /// `A requires B`: B must be mastered before A is learnable.
        REQUIRES = "requires",
        /// `A buildsOn B`: A deepens or reuses B.
        BUILDS_ON = "buildsOn",
        /// Loose, symmetric relation.
        RELATED_TO = "relatedTo",
        /// Symmetric: often confused by learners.
        CONFUSABLE_WITH = "confusableWith",
        /// `A extends B`: A generalises B.
        EXTENDS = "extends",
        /// Knowledge point → competency.
        SUPPORTS = "supports",
        /// Course, major or micro-major → competency.
        DEVELOPS = "develops",
        /// Occupation or post → competency.
        REQUIRES_COMPETENCY = "requiresCompetency",
        /// Knowledge point → its `Support` qualification.
        QUALIFIED_SUPPORT = "qualifiedSupport",
        /// Course, major or micro-major → its `Development` qualification.
        QUALIFIED_DEVELOPMENT = "qualifiedDevelopment",
        /// Occupation or post → its `CompetencyRequirement` qualification.
        QUALIFIED_REQUIREMENT = "qualifiedRequirement",
        /// Qualification → the competency it qualifies.
        COMPETENCY_PROP = "competency",
        /// Resource → node it teaches.
        TEACHES = "teaches",
        /// Resource → node it assesses.
        ASSESSES = "assesses",
        /// Post → the occupation it instantiates.
        OCCUPATION_PROP = "occupation",

        /// Weight in [0, 1] of a qualified relation.
        WEIGHT = "weight",
        /// Proficiency level 1–8 of a qualified relation.
        LEVEL = "level",
        /// Whether a required competency is essential (true) or optional (false).
        ESSENTIAL = "essential",
        /// Domain code.
        DOMAIN = "domain",
        /// Topic.
        TOPIC = "topic",
        /// Learning thread (strand) within a topic.
        THREAD = "thread",
        /// Subject, e.g. mathematics.
        SUBJECT = "subject",
        /// Target cognitive level: know, understand, master, apply.
        MASTERY_LEVEL = "masteryLevel",
        /// School grade where the node is first taught.
        GRADE_LEVEL = "gradeLevel",
        /// Position in the curriculum's teaching order.
        SEQUENCE = "sequence",
        /// Difficulty in [0, 1].
        DIFFICULTY = "difficulty",
        /// Typical learning time in minutes.
        LEARNING_MINUTES = "learningMinutes",
        /// Order of a part within its parent.
        POSITION = "position",
        /// Kind of resource: lesson, exercise, video, text.
        RESOURCE_TYPE = "resourceType",
        /// Release of a framework.
        VERSION = "version",
        /// Number of commits applied to a store (kept in the meta graph).
        COMMIT_COUNT = "commitCount",
        /// Where a framework came from.
        SOURCE = "source",
        /// Whether an occupation is a digital occupation.
        DIGITAL = "digital",
        /// Whether an occupation is a green occupation.
        GREEN = "green",
        /// BKT prior probability of mastery.
        BKT_PRIOR = "bktPrior",
        /// BKT probability of learning at each opportunity.
        BKT_LEARN = "bktLearn",
        /// BKT probability of a wrong answer despite mastery.
        BKT_SLIP = "bktSlip",
        /// BKT probability of a right answer without mastery.
        BKT_GUESS = "bktGuess",
        /// BKT probability of losing mastery at each opportunity (0 when absent).
        BKT_FORGET = "bktForget",
        /// Weight, in log-odds, of the learner's ability on the answers to a node (0 when absent).
        BKT_ABILITY = "bktAbility",
        /// Half-life, in days, of mastery not practised since a first practice, doubling with
        /// each right answer (the learner model's default when absent).
        BKT_HALF_LIFE = "bktHalfLife",
        /// Class of graduate cohorts: how many graduated from one programme, at one
        /// institution, in one year (counts only, never a person).
        GRADUATE_COHORT = "GraduateCohort",
        /// Cohort → the major, micro-major or course its graduates completed.
        PROGRAMME = "programme",
        /// Cohort → its number of graduates.
        GRADUATE_COUNT = "graduateCount",
        /// Cohort → the institution's name.
        INSTITUTION = "institution",
        /// Cohort → the year its graduates graduated.
        GRADUATION_YEAR = "graduationYear",
    }
}

/// Terms of SKOS.
pub mod skos {
    use super::NamedNodeRef;

    terms! { "http://www.w3.org/2004/02/skos/core#";
        /// Preferred label.
        PREF_LABEL = "prefLabel",
        /// Alternative label (alias).
        ALT_LABEL = "altLabel",
        /// Code.
        NOTATION = "notation",
        /// Definition.
        DEFINITION = "definition",
        /// Hidden label (misspellings, search-only variants).
        HIDDEN_LABEL = "hiddenLabel",
        /// Scope note (e.g. an occupation's tasks).
        SCOPE_NOTE = "scopeNote",
        /// Broader concept.
        BROADER = "broader",
        /// Narrower concept.
        NARROWER = "narrower",
        /// Same concept in another framework.
        EXACT_MATCH = "exactMatch",
        /// Nearly the same concept in another framework.
        CLOSE_MATCH = "closeMatch",
        /// A broader concept in another framework (e.g. an occupation's ISCO-08 unit group).
        BROAD_MATCH = "broadMatch",
    }
}

/// Terms of schema.org.
pub mod schema {
    use super::NamedNodeRef;

    terms! { "https://schema.org/";
        /// `A isPartOf B`.
        IS_PART_OF = "isPartOf",
        /// schema.org's `teaches`, equivalent to `tupu:teaches`.
        TEACHES = "teaches",
        /// schema.org's `assesses`, equivalent to `tupu:assesses`.
        ASSESSES = "assesses",
        /// A resource's description.
        DESCRIPTION = "description",
        /// A resource's full text (an exercise's statement).
        TEXT = "text",
        /// Language of a resource (BCP 47 tag).
        IN_LANGUAGE = "inLanguage",
        /// Educational level of a resource, as text.
        EDUCATIONAL_LEVEL = "educationalLevel",
        /// Where a resource is found.
        URL = "url",
        /// A resource's licence.
        LICENSE = "license",
        /// ISO 8601 duration a resource takes.
        TIME_REQUIRED = "timeRequired",
        /// Resource → `AlignmentObject` (LRMI): an alignment with its type and confidence.
        EDUCATIONAL_ALIGNMENT = "educationalAlignment",
        /// Class of LRMI alignments.
        ALIGNMENT_OBJECT = "AlignmentObject",
        /// `teaches` or `assesses` on an alignment.
        ALIGNMENT_TYPE = "alignmentType",
        /// The node an alignment points to.
        TARGET_URL = "targetUrl",
        /// Number of openings of a post.
        TOTAL_JOB_PLACES = "totalJobPlaces",
        /// Region of a post or of a cohort's institution.
        ADDRESS_REGION = "addressRegion",
        /// Date a post was published.
        DATE_POSTED = "datePosted",
    }
}

/// Terms of RDF Schema.
pub mod rdfs {
    use super::NamedNodeRef;

    terms! { "http://www.w3.org/2000/01/rdf-schema#";
        /// A human-readable name.
        LABEL = "label",
        /// A description.
        COMMENT = "comment",
    }
}

/// Terms of SHACL (the Core subset Tupu's validator implements).
pub mod sh {
    use super::NamedNodeRef;

    terms! { "http://www.w3.org/ns/shacl#";
        /// Class of node shapes.
        NODE_SHAPE = "NodeShape",
        /// Targets every instance of a class.
        TARGET_CLASS = "targetClass",
        /// A property shape of a node shape.
        PROPERTY = "property",
        /// The path (a predicate IRI) of a property shape.
        PATH = "path",
        /// Minimum number of values.
        MIN_COUNT = "minCount",
        /// Maximum number of values.
        MAX_COUNT = "maxCount",
        /// Datatype every value must have.
        DATATYPE = "datatype",
        /// Class every value must be an instance of.
        CLASS = "class",
        /// Node kind every value must have.
        NODE_KIND = "nodeKind",
        /// Inclusive lower bound.
        MIN_INCLUSIVE = "minInclusive",
        /// Inclusive upper bound.
        MAX_INCLUSIVE = "maxInclusive",
        /// Allowed values.
        IN = "in",
        /// Severity of a shape's results.
        SEVERITY = "severity",
        /// Message of a shape's results.
        MESSAGE = "message",
        /// Node kind: IRI.
        IRI = "IRI",
        /// Node kind: literal.
        LITERAL = "Literal",
        /// Node kind: blank node or IRI.
        BLANK_NODE_OR_IRI = "BlankNodeOrIRI",
        /// Severity: violation (the commit is rejected).
        VIOLATION = "Violation",
        /// Severity: warning (reported, not rejected).
        WARNING = "Warning",
    }
}

import Foundation

/// A player's Glicko-2 standing in one game, on the familiar Glicko scale (1500 centre).
public struct Rating: Hashable, Sendable, Codable {
    /// Estimated strength.
    public var rating: Double
    /// Uncertainty about `rating`: large for newcomers and for players who have not played lately.
    public var deviation: Double
    /// How erratic the player's results are; it sets how fast `deviation` grows between games.
    public var volatility: Double

    public init(rating: Double = 1500, deviation: Double = 350, volatility: Double = 0.06) {
        self.rating = rating
        self.deviation = deviation
        self.volatility = volatility
    }

    /// Where every player starts: nothing is known about them yet.
    public static let initial = Rating()
}

/// One game's result from one player's side.
public enum GameScore: Double, Sendable {
    case loss = 0, draw = 0.5, win = 1

    /// The same game's result from the opponent's side.
    fileprivate var forOpponent: GameScore {
        switch self {
        case .loss: .win
        case .draw: .draw
        case .win: .loss
        }
    }
}

/// Mark Glickman's Glicko-2 system, following "Example of the Glicko-2 system"
/// (glicko.net/glicko/glicko2.pdf); the step numbers below are the paper's.
public struct Glicko2: Sendable {
    /// Constrains how much volatility may change in one period; the paper suggests 0.3...1.2.
    public var tau: Double

    public init(tau: Double = 0.5) {
        self.tau = tau
    }

    /// New rating after one rating period containing these results (opponent's rating before the period, and the score).
    public func update(_ player: Rating, results: [(opponent: Rating, score: GameScore)]) -> Rating {
        // Step 2: to the Glicko-2 scale.
        let mu = Self.mu(player.rating)
        let phi = Self.phi(player.deviation)
        // A zero volatility has no logarithm, and step 5 works on ln(σ²).
        let sigma = max(player.volatility, Self.minimumVolatility)

        // Step 6 alone: without games we learn nothing, we only grow less sure.
        guard !results.isEmpty else {
            let grown = (phi * phi + sigma * sigma).squareRoot()
            return Rating(rating: player.rating, deviation: Self.deviation(grown), volatility: player.volatility)
        }

        // Steps 3 and 4: information the games carry (1/v) and the score surplus over expectation.
        var information = 0.0
        var surplus = 0.0
        for (opponent, score) in results {
            let g = Self.g(Self.phi(opponent.deviation))
            let x = g * (mu - Self.mu(opponent.rating))
            // Each side's chance computed directly, so a near-certain game keeps its tiny
            // information instead of rounding 1 - E to zero.
            let expected = 1 / (1 + exp(-x))
            let unexpected = 1 / (1 + exp(x))
            information += g * g * expected * unexpected
            surplus += g * (score.rawValue - expected)
        }
        // Games whose outcome was certain carry no information; the floor keeps v and Δ² finite.
        let variance = 1 / max(information, Self.minimumInformation)
        let improvement = variance * surplus

        // Step 5: new volatility.
        let newSigma = volatility(sigma: sigma, phi: phi, variance: variance, improvement: improvement)

        // Step 6: deviation grows with the new volatility before the games are counted.
        let phiStar = (phi * phi + newSigma * newSigma).squareRoot()
        // Step 7: the games shrink it again and move the rating.
        var newPhi = 1 / (1 / (phiStar * phiStar) + 1 / variance).squareRoot()
        newPhi = min(newPhi, Self.phi(Self.maximumDeviation))
        let newMu = mu + newPhi * newPhi * surplus

        // Step 8: back to the Glicko scale.
        return Rating(rating: Self.rating(newMu), deviation: Self.deviation(newPhi), volatility: newSigma)
    }

    /// Both players' new ratings after one match (each treated as a one-game rating period, the usual choice for online play).
    public func afterMatch(_ a: Rating, _ b: Rating, scoreOfA: GameScore) -> (a: Rating, b: Rating) {
        // Both sides are rated against the other's rating from before the match.
        (
            a: update(a, results: [(opponent: b, score: scoreOfA)]),
            b: update(b, results: [(opponent: a, score: scoreOfA.forOpponent)])
        )
    }

    /// Step 5: solves f(x) = 0 for x = ln(σ'²) with the Illinois algorithm.
    private func volatility(sigma: Double, phi: Double, variance: Double, improvement: Double) -> Double {
        let a = 2 * log(sigma)
        let phiSquared = phi * phi
        let improvementSquared = improvement * improvement
        func f(_ x: Double) -> Double {
            let ex = exp(x)
            let d = phiSquared + variance + ex
            // The paper's e^x(Δ² − φ² − v − e^x) / 2(φ² + v + e^x)², regrouped so that
            // no intermediate overflows when v and Δ² are huge.
            return (ex / d) * ((improvementSquared - d + ex) / (2 * d)) - (x - a) / (tau * tau)
        }

        // Step 5.2: bracket the root.
        var lower = a
        var upper: Double
        if improvementSquared > phiSquared + variance {
            upper = log(improvementSquared - phiSquared - variance)
        } else {
            var k = 1.0
            while f(a - k * tau) < 0 { k += 1 }
            upper = a - k * tau
        }

        // Steps 5.3 and 5.4: Illinois iteration; the cap only guards against a bug looping forever.
        var fLower = f(lower)
        var fUpper = f(upper)
        var iterations = 0
        while abs(upper - lower) > Self.convergence && iterations < 1_000 {
            let candidate = lower + (lower - upper) * fLower / (fUpper - fLower)
            let fCandidate = f(candidate)
            if fCandidate * fUpper <= 0 {
                lower = upper
                fLower = fUpper
            } else {
                fLower /= 2
            }
            upper = candidate
            fUpper = fCandidate
            iterations += 1
        }
        // Step 5.5.
        return exp(lower / 2)
    }

    /// The paper's conversion factor between the Glicko and Glicko-2 scales (≈ 400 / ln 10).
    private static let scale = 173.7178
    /// A newcomer's deviation; no one is ever less known than that.
    private static let maximumDeviation = 350.0
    /// Step 5.4's tolerance ε.
    private static let convergence = 0.000001
    private static let minimumVolatility = 1e-12
    private static let minimumInformation = 1e-100

    private static func mu(_ rating: Double) -> Double { (rating - 1500) / scale }
    private static func phi(_ deviation: Double) -> Double { deviation / scale }
    private static func rating(_ mu: Double) -> Double { mu * scale + 1500 }
    private static func deviation(_ phi: Double) -> Double { min(phi * scale, maximumDeviation) }

    /// Step 3's g(φ): an uncertain opponent's result says less about us.
    private static func g(_ phi: Double) -> Double { 1 / (1 + 3 * phi * phi / (Double.pi * Double.pi)).squareRoot() }
}

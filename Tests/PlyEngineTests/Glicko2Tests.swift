import Foundation
import PlyEngine
import Testing

@Suite("Glicko-2 ratings")
struct Glicko2Tests {
    let glicko = Glicko2()

    /// The worked example in Glickman's "Example of the Glicko-2 system". The paper rounds
    /// its intermediate values; unrounded arithmetic gives 1464.0507, inside the 0.01 allowed.
    @Test func reproducesThePapersExample() {
        let player = Rating(rating: 1500, deviation: 200, volatility: 0.06)
        let updated = glicko.update(player, results: [
            (opponent: Rating(rating: 1400, deviation: 30), score: .win),
            (opponent: Rating(rating: 1550, deviation: 100), score: .loss),
            (opponent: Rating(rating: 1700, deviation: 300), score: .loss),
        ])
        #expect(abs(updated.rating - 1464.06) < 0.01)
        #expect(abs(updated.deviation - 151.52) < 0.01)
        #expect(abs(updated.volatility - 0.05999) < 0.00001)
    }

    /// Without games only the deviation grows, by the volatility (step 6 of the paper).
    @Test(arguments: [30.0, 50, 200, 340])
    func deviationGrowsWithoutGames(deviation: Double) {
        let player = Rating(rating: 1720, deviation: deviation, volatility: 0.06)
        let idle = glicko.update(player, results: [])
        let phi = deviation / 173.7178
        let expected = (phi * phi + 0.06 * 0.06).squareRoot() * 173.7178
        #expect(idle.rating == 1720)
        #expect(idle.volatility == 0.06)
        #expect(idle.deviation > deviation)
        #expect(abs(idle.deviation - expected) < 1e-9)
    }

    /// A newcomer is as unknown as anyone can be: neither idling nor a game that teaches
    /// nothing (losing to a far stronger, well-known player) pushes the deviation past 350.
    @Test(arguments: [349.99, 350.0])
    func deviationNeverExceedsTheInitial(deviation: Double) {
        let player = Rating(rating: 1500, deviation: deviation, volatility: 0.2)
        #expect(glicko.update(player, results: []).deviation == 350)
        let champion = Rating(rating: 5500, deviation: 1, volatility: 0.06)
        let afterLoss = glicko.update(player, results: [(opponent: champion, score: .loss)])
        #expect(afterLoss.deviation == 350)
    }

    /// From equal standings, A's win is exactly B's loss mirrored.
    @Test(arguments: [
        Rating.initial,
        Rating(rating: 1500, deviation: 200, volatility: 0.06),
        Rating(rating: 2100, deviation: 45, volatility: 0.04),
    ])
    func winMirrorsLoss(start: Rating) {
        let (winner, loser) = glicko.afterMatch(start, start, scoreOfA: .win)
        #expect(winner.rating > start.rating)
        #expect(loser.rating < start.rating)
        #expect(abs((winner.rating - start.rating) + (loser.rating - start.rating)) < 1e-9)
        #expect(abs(winner.deviation - loser.deviation) < 1e-9)
        #expect(abs(winner.volatility - loser.volatility) < 1e-12)

        let (loserFirst, winnerSecond) = glicko.afterMatch(start, start, scoreOfA: .loss)
        #expect(abs(loserFirst.rating - loser.rating) < 1e-9)
        #expect(abs(winnerSecond.rating - winner.rating) < 1e-9)
    }

    /// A draw between equals tells us nothing about who is stronger, but it does make both better known.
    @Test(arguments: [
        Rating.initial,
        Rating(rating: 1800, deviation: 120, volatility: 0.06),
    ])
    func drawBetweenEqualsShrinksDeviation(start: Rating) {
        let (a, b) = glicko.afterMatch(start, start, scoreOfA: .draw)
        #expect(a == b)
        #expect(abs(a.rating - start.rating) < 1e-9)
        #expect(a.deviation < start.deviation)
    }

    /// Beating a stronger player says more than beating a weaker one.
    @Test func upsetMovesRatingsMoreThanExpectedWin() {
        let weak = Rating(rating: 1400, deviation: 80, volatility: 0.06)
        let strong = Rating(rating: 1800, deviation: 80, volatility: 0.06)

        let upset = glicko.afterMatch(weak, strong, scoreOfA: .win)
        let expected = glicko.afterMatch(strong, weak, scoreOfA: .win)

        let upsetGain = upset.a.rating - weak.rating
        let expectedGain = expected.a.rating - strong.rating
        #expect(expectedGain > 0)
        #expect(upsetGain > 3 * expectedGain)
        #expect(strong.rating - upset.b.rating > weak.rating - expected.b.rating)
    }

    /// Volatility tracks surprise: a run of upsets raises it, results as expected lower it.
    /// (The paper's example barely moves σ, so it cannot tell a solver from no solver.)
    @Test func volatilityFollowsSurprise() {
        let steady = Rating(rating: 1500, deviation: 50, volatility: 0.06)
        let upsets = Array(repeating: (opponent: Rating(rating: 2000, deviation: 30), score: GameScore.win), count: 5)
        let asExpected = Array(repeating: (opponent: Rating(rating: 1500, deviation: 30), score: GameScore.draw), count: 5)
        #expect(glicko.update(steady, results: upsets).volatility > 0.06)
        #expect(glicko.update(steady, results: asExpected).volatility < 0.06)
    }

    /// Lopsided and long rating periods must still give usable numbers.
    @Test(arguments: [
        (Rating(rating: 0, deviation: 1, volatility: 0.06), Rating(rating: 4000, deviation: 1, volatility: 0.06)),
        (Rating(rating: 4000, deviation: 1, volatility: 0.06), Rating(rating: 0, deviation: 1, volatility: 0.06)),
        (Rating(rating: 0, deviation: 350, volatility: 0.06), Rating(rating: 4000, deviation: 350, volatility: 0.06)),
        (Rating(rating: -1e6, deviation: 1, volatility: 0), Rating(rating: 1e6, deviation: 0, volatility: 5)),
    ])
    func extremeInputsStayFinite(player: Rating, opponent: Rating) throws {
        for score in [GameScore.win, .draw, .loss] {
            let (a, b) = glicko.afterMatch(player, opponent, scoreOfA: score)
            for rating in [a, b] {
                try #require(rating.rating.isFinite && rating.deviation.isFinite && rating.volatility.isFinite)
                #expect(rating.deviation >= 0 && rating.deviation <= 350)
                #expect(rating.volatility > 0)
            }
        }

        let marathon = Array(repeating: (opponent: opponent, score: GameScore.win), count: 500)
        let afterMarathon = glicko.update(player, results: marathon)
        try #require(afterMarathon.rating.isFinite && afterMarathon.deviation.isFinite && afterMarathon.volatility.isFinite)
        #expect(afterMarathon.deviation <= 350)
        #expect(afterMarathon.rating >= player.rating)
    }

    /// The engine stores ratings as JSON; they must come back unchanged.
    @Test func ratingRoundTripsThroughCodable() throws {
        let rating = Rating(rating: 1464.06, deviation: 151.52, volatility: 0.05999)
        let decoded = try JSONDecoder().decode(Rating.self, from: JSONEncoder().encode(rating))
        #expect(decoded == rating)
    }
}

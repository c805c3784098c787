/** The baseline of the cold-start figure: the smallest Java program, run as {@code java -cp . Hello}. */
public class Hello {
  public static void main(String[] args) {
    System.out.println("Hello");
  }
}
